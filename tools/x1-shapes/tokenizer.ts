/**
 * The X1-Shapes tokenizer: greedy longest match over UTF-8 bytes against a fixed list of pieces
 * (the domain's words, tags, punctuation and the judge prompts' fixed lines), with one token per
 * byte as the fallback. No normalisation, no pre-splitting: trivially identical in TypeScript and
 * Python (tools/train/tokenizer.py), checked by data/x1-shapes/tokenizer-vectors.json.
 *
 * Ids: 0..7 special tokens, 8..263 the bytes 0..255, 264.. the pieces in file order.
 * Chat template (a `Prompt` → ids):
 *   <bos> [<image> × image_tokens when with_image] [<system> system] <user> user <assistant> assistant_prefix
 * and a training target is the completion's ids followed by <eos>.
 */
import type { Prompt } from "../../src/reasoning/types";

export const SPECIALS = ["<pad>", "<bos>", "<eos>", "<image>", "<system>", "<user>", "<assistant>", "<unused>"] as const;
export const BYTE_OFFSET = SPECIALS.length;
export const PIECE_OFFSET = BYTE_OFFSET + 256;
export const PAD = 0, BOS = 1, EOS = 2, IMAGE = 3, SYSTEM = 4, USER = 5, ASSISTANT = 6;

export interface TokenizerFile {
  name: string;
  version: number;
  algorithm: "greedy-longest-match-utf8-bytes";
  specials: string[];
  byte_offset: number;
  piece_offset: number;
  image_tokens: number;
  vocab_size: number;
  template: string;
  pieces: string[];
}

export class Tokenizer {
  private readonly byFirst: Map<number, { bytes: Uint8Array; id: number }[]> = new Map();
  private readonly idToBytes: Uint8Array[] = [];
  readonly vocabSize: number;
  readonly imageTokens: number;

  constructor(readonly file: TokenizerFile) {
    const enc = new TextEncoder();
    for (let i = 0; i < PIECE_OFFSET; i++) this.idToBytes.push(i >= BYTE_OFFSET ? Uint8Array.of(i - BYTE_OFFSET) : new Uint8Array(0));
    file.pieces.forEach((piece, k) => {
      const bytes = enc.encode(piece);
      const id = PIECE_OFFSET + k;
      this.idToBytes.push(bytes);
      const first = bytes[0] as number;
      const list = this.byFirst.get(first) ?? [];
      list.push({ bytes, id });
      this.byFirst.set(first, list);
    });
    for (const list of this.byFirst.values()) list.sort((a, b) => b.bytes.length - a.bytes.length || a.id - b.id);
    this.vocabSize = PIECE_OFFSET + file.pieces.length;
    this.imageTokens = file.image_tokens;
  }

  encode(text: string): number[] {
    const bytes = new TextEncoder().encode(text);
    const ids: number[] = [];
    let i = 0;
    outer: while (i < bytes.length) {
      const b = bytes[i] as number;
      for (const cand of this.byFirst.get(b) ?? []) {
        const n = cand.bytes.length;
        if (i + n > bytes.length) continue;
        let ok = true;
        for (let j = 1; j < n; j++) {
          if (bytes[i + j] !== cand.bytes[j]) {
            ok = false;
            break;
          }
        }
        if (ok) {
          ids.push(cand.id);
          i += n;
          continue outer;
        }
      }
      ids.push(BYTE_OFFSET + b);
      i++;
    }
    return ids;
  }

  decode(ids: readonly number[]): string {
    const parts = ids.map((id) => this.idToBytes[id] ?? new Uint8Array(0));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let k = 0;
    for (const p of parts) {
      out.set(p, k);
      k += p.length;
    }
    return new TextDecoder().decode(out);
  }

  /** The prompt part of a sequence (see the template above). */
  encodePrompt(prompt: Prompt): number[] {
    const ids = [BOS];
    if (prompt.with_image) for (let i = 0; i < this.imageTokens; i++) ids.push(IMAGE);
    if (prompt.system !== undefined) ids.push(SYSTEM, ...this.encode(prompt.system));
    ids.push(USER, ...this.encode(prompt.user), ASSISTANT, ...this.encode(prompt.assistant_prefix));
    return ids;
  }

  encodeTarget(completion: string): number[] {
    return [...this.encode(completion), EOS];
  }
}

const PRE_SPLIT = /<\/?[A-Z]+>| ?[A-Za-z]+| ?\d+| ?[^\sA-Za-z\d<]+|\n+| +/g;

/**
 * Build the piece list from a corpus sample: every pre-split piece of ≥ 2 bytes seen at least
 * `minCount` times, plus the frequent fixed instruction lines of judge prompts (`lines`), in a
 * deterministic order.
 */
export function buildPieces(texts: Iterable<string>, lines: Iterable<string>, extra: string[], minCount = 8, minLineCount = 50): string[] {
  const counts = new Map<string, number>();
  const bump = (m: Map<string, number>, s: string) => m.set(s, (m.get(s) ?? 0) + 1);
  for (const t of texts) for (const m of t.matchAll(PRE_SPLIT)) bump(counts, m[0]);
  const lineCounts = new Map<string, number>();
  for (const line of lines) if (line.length >= 8) bump(lineCounts, line);
  const size = (s: string) => new TextEncoder().encode(s).length;
  const chosen = new Map<string, number>();
  for (const [s, c] of counts) if (c >= minCount && size(s) >= 2) chosen.set(s, c);
  for (const [s, c] of lineCounts) if (c >= minLineCount) chosen.set(s, c);
  for (const s of extra) if (size(s) >= 2 && !chosen.has(s)) chosen.set(s, 0);
  return [...chosen.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([s]) => s);
}
