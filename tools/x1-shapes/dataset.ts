/**
 * What every X1-Shapes command writes and reads: examples encoded as the trainer reads them
 * (tools/train/data.py), the committed tokenizer, a --jsonl split's items, and datasets derived
 * from such a split.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FAMILIES } from "./families";
import { EXAMPLE_KINDS, type Example, type Item, sceneFor } from "./items";
import type { Scene } from "./scene";
import { Tokenizer, type TokenizerFile } from "./tokenizer";

export const TOKENIZER_PATH = "tools/train/tokenizer.json";
const JUDGED_CODES = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION", "ANSWER"];

export const loadTokenizer = (): Tokenizer =>
  new Tokenizer(JSON.parse(readFileSync(TOKENIZER_PATH, "utf8")) as TokenizerFile);

/** Examples as the trainer reads them (tools/train/data.py): token ids, and an index row per example. */
export class Encoded {
  readonly tokens: number[] = [];
  readonly index: number[] = [];
  readonly stats = {
    examples: {} as Record<string, number>,
    tokens: {} as Record<string, number>,
    target_tokens: 0,
    max_len: 0,
  };
  constructor(private readonly tok: Tokenizer) {}

  get count(): number {
    return this.index.length / 8;
  }

  add(e: Example, image: number): void {
    const p = this.tok.encodePrompt(e.prompt);
    const t = this.tok.encodeTarget(e.completion);
    this.index.push(
      this.tokens.length,
      p.length,
      p.length + t.length,
      image,
      EXAMPLE_KINDS.indexOf(e.kind),
      FAMILIES.indexOf(e.family),
      e.stage ? JUDGED_CODES.indexOf(e.stage) : -1,
      e.group ?? 0,
    );
    for (const id of p) this.tokens.push(id);
    for (const id of t) this.tokens.push(id);
    const s = this.stats;
    s.examples[e.kind] = (s.examples[e.kind] ?? 0) + 1;
    s.tokens[e.kind] = (s.tokens[e.kind] ?? 0) + p.length + t.length;
    s.target_tokens += t.length;
    s.max_len = Math.max(s.max_len, p.length + t.length);
  }

  write(out: string): void {
    writeFileSync(join(out, "tokens.u16"), Buffer.from(Uint16Array.from(this.tokens).buffer));
    writeFileSync(join(out, "index.i32"), Buffer.from(Int32Array.from(this.index).buffer));
  }
}

/** A split's items as the --jsonl generator wrote them, by id. */
export function readItems(from: string): Map<string, Item & { img: number }> {
  const items = new Map<string, Item & { img: number }>();
  for (const line of readFileSync(join(from, "items.jsonl"), "utf8").trim().split("\n")) {
    const it = JSON.parse(line) as Item & { img: number };
    items.set(it.id, it);
  }
  return items;
}
/** A dataset derived from the --jsonl split `from`: its images and cells, the new examples, and their stats. */
export function writeDerived(from: string, out: string, data: Encoded, extra: Record<string, unknown>): void {
  for (const f of ["images.u8", "cells.u8"]) writeFileSync(join(out, f), readFileSync(join(from, f)));
  data.write(out);
  const source = JSON.parse(readFileSync(join(from, "stats.json"), "utf8")) as {
    split: string;
    image_size: number;
    vocab_size: number;
  };
  const stats = {
    split: source.split,
    image_size: source.image_size,
    vocab_size: source.vocab_size,
    ...extra,
    total_tokens: data.tokens.length,
    ...data.stats,
  };
  writeFileSync(join(out, "stats.json"), JSON.stringify(stats, null, 1) + "\n");
}

/** The scene an item (of a generated split) is about: its id is `<split>-<scene index>-<question>`. */
export function sceneOf(item: Item): Scene {
  return sceneFor(item.split, Number(item.id.split("-")[1]));
}
