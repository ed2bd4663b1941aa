/**
 * The X1-Shapes tokenizer (model-shards/tokenizer.json), identical to tools/train/tokenizer.py:
 * greedy longest match over UTF-8 bytes against the piece list, one token per byte otherwise.
 * Ids: specials first, then the 256 bytes at `byte_offset`, then the pieces at `piece_offset`.
 * Checked against data/x1-shapes/tokenizer-vectors.json (test/embedded/tokenizer.test.ts).
 */
import type { Prompt } from "../../reasoning/types";

export interface TokenizerSpec {
  name: string;
  algorithm: string;
  specials: string[];
  byte_offset: number;
  piece_offset: number;
  image_tokens: number;
  vocab_size: number;
  pieces: string[];
}

interface Piece {
  bytes: Uint8Array;
  id: number;
}

const utf8 = new TextEncoder();

export class X1Tokenizer {
  readonly vocabSize: number;
  readonly imageTokens: number;
  readonly pad: number;
  readonly bos: number;
  readonly eos: number;
  readonly image: number;
  private readonly special: Record<string, number>;
  private readonly pieces: Uint8Array[];
  private readonly byFirst: (Piece[] | undefined)[] = new Array(256);

  constructor(private readonly spec: TokenizerSpec) {
    if (spec.algorithm !== "greedy-longest-match-utf8-bytes")
      throw new Error(`unsupported tokenizer algorithm ${spec.algorithm}`);
    this.special = Object.fromEntries(spec.specials.map((s, i) => [s, i]));
    const id = (s: string): number => {
      const v = this.special[s];
      if (v === undefined) throw new Error(`tokenizer has no ${s} token`);
      return v;
    };
    this.pad = id("<pad>");
    this.bos = id("<bos>");
    this.eos = id("<eos>");
    this.image = id("<image>");
    this.pieces = spec.pieces.map((p) => utf8.encode(p));
    this.pieces.forEach((bytes, k) => {
      const first = bytes[0] as number;
      (this.byFirst[first] ??= []).push({ bytes, id: spec.piece_offset + k });
    });
    // Longest first; equal lengths by id, as the Python side sorts.
    for (const list of this.byFirst) list?.sort((a, b) => b.bytes.length - a.bytes.length || a.id - b.id);
    this.vocabSize = spec.piece_offset + spec.pieces.length;
    this.imageTokens = spec.image_tokens;
  }

  encode(text: string): number[] {
    const data = utf8.encode(text);
    const ids: number[] = [];
    let i = 0;
    while (i < data.length) {
      const match = this.longestAt(data, i);
      if (match) {
        ids.push(match.id);
        i += match.bytes.length;
      } else {
        ids.push(this.spec.byte_offset + (data[i] as number));
        i++;
      }
    }
    return ids;
  }

  private longestAt(data: Uint8Array, at: number): Piece | undefined {
    for (const piece of this.byFirst[data[at] as number] ?? []) {
      const n = piece.bytes.length;
      if (at + n > data.length) continue;
      let j = 1;
      while (j < n && data[at + j] === piece.bytes[j]) j++;
      if (j === n) return piece;
    }
    return undefined;
  }

  /** The bytes of one id (specials and unknown ids decode to nothing). */
  bytesOf(id: number): Uint8Array {
    const { byte_offset: bo, piece_offset: po } = this.spec;
    if (id >= bo && id < bo + 256) return Uint8Array.of(id - bo);
    return (id >= po ? this.pieces[id - po] : undefined) ?? new Uint8Array(0);
  }

  /** UTF-8 decode; invalid sequences become U+FFFD, as Python's errors="replace". */
  decode(ids: readonly number[]): string {
    const parts = ids.map((id) => this.bytesOf(id));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let k = 0;
    for (const p of parts) {
      out.set(p, k);
      k += p.length;
    }
    return new TextDecoder().decode(out);
  }

  /** `<bos> [<image> × image_tokens] [<system> system] <user> user <assistant> assistant_prefix`. */
  encodePrompt(prompt: Prompt): number[] {
    const ids = [this.bos];
    if (prompt.with_image) for (let i = 0; i < this.imageTokens; i++) ids.push(this.image);
    if (prompt.system !== undefined) ids.push(this.special["<system>"] as number, ...this.encode(prompt.system));
    ids.push(
      this.special["<user>"] as number,
      ...this.encode(prompt.user),
      this.special["<assistant>"] as number,
      ...this.encode(prompt.assistant_prefix),
    );
    return ids;
  }

  encodeTarget(completion: string): number[] {
    return [...this.encode(completion), this.eos];
  }
}
