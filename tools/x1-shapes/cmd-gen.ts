/**
 * `vocab` (the tokenizer from a train sample) and `gen` (a split: images, encoded examples, and
 * with --jsonl its items and examples as JSON lines); options at the top of cli.ts.
 */
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { substream } from "./prng";
import { COLOURS, IMAGE_SIZE, POSITIONS, SHAPES, SIZES, renderScene } from "./scene";
import { FAMILIES, type Family } from "./families";
import { JUDGE_FORMATS, type JudgeFormat } from "./judge-reply";
import {
  CHOICE_FORMATS,
  type ChoiceFormat,
  type Example,
  type Item,
  type Mix,
  type Split,
  SPLITS,
  examplesOf,
  familiesFor,
  lookupExample,
  makeItem,
  reorderedChoiceExamples,
  sceneFor,
} from "./items";
import { lookupDrill } from "./lookup";
import { BYTE_OFFSET, PIECE_OFFSET, SPECIALS, type TokenizerFile, buildPieces } from "./tokenizer";
import { Encoded, TOKENIZER_PATH, loadTokenizer } from "./dataset";

const IMAGE_TOKENS = 9;
/** Training mix per item: the four-stage answer always, the others with these probabilities. */
const TRAIN_MIX: Mix = { direct: 0.3, judge: 0.8, check: 0.4 };

function* itemsOf(
  split: Split,
  scenes: number,
  perScene: number,
  from = 0,
): Generator<{ index: number; item: Item; rgb?: Uint8Array }> {
  for (let index = from; index < from + scenes; index++) {
    const scene = sceneFor(split, index);
    const fams = familiesFor(split, index, perScene);
    for (let q = 0; q < fams.length; q++) yield { index, item: makeItem(split, index, scene, fams[q]!, q) };
  }
}

export function vocab(a: Record<string, string>): void {
  const scenes = Number(a.scenes ?? 3000);
  const texts: string[] = [];
  const lines: string[] = [];
  for (const { item } of itemsOf("train", scenes, 3)) {
    // The committed tokenizer was built from the plain judge replies; keep `vocab` reproducible.
    for (const e of examplesOf(item, undefined, undefined, "plain")) {
      texts.push(e.prompt.user, e.prompt.assistant_prefix, e.completion);
      if (e.kind === "judge" || e.kind === "check") {
        const [head] = e.prompt.user.split("\n\nQuestion: ");
        lines.push(head as string);
        for (const line of e.prompt.user.split("\n")) if (line.endsWith(":")) lines.push(line);
      }
    }
  }
  const words = [
    ...COLOURS,
    ...SHAPES,
    ...SIZES,
    ...POSITIONS.flatMap((p) => p.split(" ")),
    ...SHAPES.map((s) => `${s}s`),
  ];
  const numbers = Array.from({ length: 41 }, (_, n) => String(n));
  const extra = [
    ...words.flatMap((w) => [w, ` ${w}`, w.charAt(0).toUpperCase() + w.slice(1)]),
    ...numbers.flatMap((n) => [n, ` ${n}`]),
  ];
  const pieces = buildPieces(texts, lines, extra);
  const file: TokenizerFile = {
    name: "x1-shapes-greedy",
    version: 1,
    algorithm: "greedy-longest-match-utf8-bytes",
    specials: [...SPECIALS],
    byte_offset: BYTE_OFFSET,
    piece_offset: PIECE_OFFSET,
    image_tokens: IMAGE_TOKENS,
    vocab_size: PIECE_OFFSET + pieces.length,
    template:
      "<bos> [<image> x image_tokens if with_image] [<system> system] <user> user <assistant> assistant_prefix | target: completion <eos>",
    pieces,
  };
  writeFileSync(TOKENIZER_PATH, JSON.stringify(file, null, 1) + "\n");
  console.log(`tokenizer: ${pieces.length} pieces, vocab ${file.vocab_size} -> ${TOKENIZER_PATH}`);
}

export function gen(a: Record<string, string>): void {
  const split = (a.split ?? "train") as Split;
  if (!(split in SPLITS)) throw new Error(`unknown split ${split}`);
  const scenes = Number(a.scenes ?? 1000);
  const perScene = Number(a["per-scene"] ?? 3);
  const from = Number(a.from ?? 0);
  const out = a.out ?? `tools/.cache/x1-shapes/${split}`;
  const jsonl = a.jsonl === "true";
  const judgeFormat = (a["judge-format"] ?? "copy") as JudgeFormat;
  if (!JUDGE_FORMATS.includes(judgeFormat))
    throw new Error(`--judge-format must be one of ${JUDGE_FORMATS.join(", ")}`);
  const choiceFormat = (a["choice-format"] ?? "letter") as ChoiceFormat;
  if (!CHOICE_FORMATS.includes(choiceFormat))
    throw new Error(`--choice-format must be one of ${CHOICE_FORMATS.join(", ")}`);
  const only = a.family as Family | undefined;
  if (only !== undefined && !FAMILIES.includes(only)) throw new Error(`--family must be one of ${FAMILIES.join(", ")}`);
  const lookups = Number(a.lookup ?? 0);
  if (!Number.isInteger(lookups) || lookups < 0) throw new Error("--lookup must be a whole number of drills per scene");
  const reorders = Number(a.reorder ?? 0);
  if (!Number.isInteger(reorders) || reorders < 0)
    throw new Error("--reorder must be a whole number of orders per item");
  mkdirSync(out, { recursive: true });
  const tok = loadTokenizer();
  const images = Buffer.alloc(scenes * IMAGE_SIZE * IMAGE_SIZE * 3);
  // Per scene and grid cell: shape+1, colour+1, size+1 (0 = empty), for the auxiliary perception loss.
  const cells = Buffer.alloc(scenes * 9 * 3);
  const data = new Encoded(tok);
  const itemsOut = jsonl ? createWriteStream(join(out, "items.jsonl")) : undefined;
  const exOut = jsonl ? createWriteStream(join(out, "examples.jsonl")) : undefined;
  let items = 0;
  const emit = (e: Example, image: number): void => {
    data.add(e, image);
    exOut?.write(JSON.stringify({ img: image, ...e }) + "\n");
  };
  let lastScene = -1;
  for (let i = 0; i < scenes; i++) {
    const scene = sceneFor(split, from + i);
    images.set(renderScene(scene), i * IMAGE_SIZE * IMAGE_SIZE * 3);
    for (const o of scene.objects) {
      cells.set(
        [SHAPES.indexOf(o.shape) + 1, COLOURS.indexOf(o.colour) + 1, SIZES.indexOf(o.size) + 1],
        (i * 9 + o.cell) * 3,
      );
    }
    const drillRng = substream(scene.seed, 300);
    for (let k = 0; k < lookups; k++) emit(lookupExample(split, from + i, k, lookupDrill(drillRng)), i);
    const fams = only ? [only] : familiesFor(split, from + i, perScene);
    for (let q = 0; q < fams.length; q++) {
      const item = makeItem(split, from + i, scene, fams[q]!, q, choiceFormat);
      items++;
      const examples: Example[] = jsonl
        ? examplesOf(item, undefined, undefined, judgeFormat)
        : examplesOf(item, TRAIN_MIX, substream(scene.seed, 200 + q), judgeFormat);
      if (reorders > 0)
        examples.push(...reorderedChoiceExamples(item, scene, reorders, substream(scene.seed, 310 + q)));
      itemsOut?.write(JSON.stringify({ img: i, ...item }) + "\n");
      for (const e of examples) emit(e, i);
    }
    if (i - lastScene >= 5000) {
      lastScene = i;
      process.stderr.write(`${split}: ${i}/${scenes} scenes\n`);
    }
  }
  writeFileSync(join(out, "images.u8"), images);
  writeFileSync(join(out, "cells.u8"), cells);
  data.write(out);
  itemsOut?.end();
  exOut?.end();
  writeFileSync(
    join(out, "stats.json"),
    JSON.stringify(
      {
        split,
        image_size: IMAGE_SIZE,
        vocab_size: tok.vocabSize,
        total_tokens: data.tokens.length,
        scenes,
        items,
        ...data.stats,
      },
      null,
      1,
    ) + "\n",
  );
  console.log(
    `${split}: ${scenes} scenes, ${items} items, ${data.count} examples, ${data.tokens.length} tokens, max len ${data.stats.max_len} -> ${out}`,
  );
}
