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
import { X1Tokenizer } from "../../src/inference/embedded/tokenizer";

export const SPECIALS = [
  "<pad>",
  "<bos>",
  "<eos>",
  "<image>",
  "<system>",
  "<user>",
  "<assistant>",
  "<unused>",
] as const;
export const BYTE_OFFSET = SPECIALS.length;
export const PIECE_OFFSET = BYTE_OFFSET + 256;

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

/** The service's tokenizer (src/inference/embedded/tokenizer.ts) over a tokenizer file: one implementation. */
export class Tokenizer extends X1Tokenizer {
  constructor(readonly file: TokenizerFile) {
    super(file);
  }
}

const PRE_SPLIT = /<\/?[A-Z]+>| ?[A-Za-z]+| ?\d+| ?[^\sA-Za-z\d<]+|\n+| +/g;

/**
 * Build the piece list from a corpus sample: every pre-split piece of ≥ 2 bytes seen at least
 * `minCount` times, plus the frequent fixed instruction lines of judge prompts (`lines`), in a
 * deterministic order.
 */
export function buildPieces(
  texts: Iterable<string>,
  lines: Iterable<string>,
  extra: string[],
  minCount = 8,
  minLineCount = 50,
): string[] {
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
