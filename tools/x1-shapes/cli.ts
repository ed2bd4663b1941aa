/**
 * X1-Shapes command line (bundled by tools/x1-shapes/run.sh with esbuild, then run with node):
 *   vocab  --scenes N                      build tools/train/tokenizer.json from a train sample
 *   gen    --split S --scenes N [--from I] [--per-scene K] [--jsonl] --out DIR
 *                                          (--from: first scene index, for more train data)
 *          [--judge-format copy|plain]     the judge's reply (judge-reply.ts); plain for runs 1-7
 *          [--choice-format letter|walk]   multiple-choice reasoning (items.ts); walk only for the
 *                                          run 11 experiment
 *          [--family F]                    one question per scene, of family F (else 3 families)
 *          [--lookup K]                    K option-lookup drills per scene (lookup.ts); with
 *                                          --per-scene 0, drills only
 *          [--reorder K]                   each multiple-choice item also in K other option
 *                                          orders, loss from the letter on (items.ts)
 *                                          images.u8, tokens.u16, index.i32 (+ items/examples JSONL)
 *   mined  --from DIR --pairs FILE --out DIR
 *                                          judge items from the model's own wrong stages
 *                                          (tools/train/mine.py wrote FILE from the --jsonl split
 *                                          DIR): both orders each, judge examples only, DIR's images
 *   commit                                 data/x1-shapes: samples, dev subset, tokenizer vectors
 *   check                                  the committed data regenerate identically (determinism,
 *                                          tokenizer vectors)
 */
import { mkdirSync, readFileSync, writeFileSync, createWriteStream } from "node:fs";
import { join } from "node:path";
import { substream } from "./prng";
import { IMAGE_SIZE, renderScene } from "./scene";
import { encodePng } from "./png";
import { FAMILIES, type Family } from "./families";
import { JUDGE_FORMATS, type JudgeFormat } from "./judge-reply";
import {
  CHOICE_FORMATS,
  type ChoiceFormat,
  EXAMPLE_KINDS,
  type Example,
  type Item,
  type Mix,
  type Split,
  SPLITS,
  examplesOf,
  familiesFor,
  judgeExample,
  lookupExample,
  makeItem,
  reorderedChoiceExamples,
  minedJudgeItems,
  sceneFor,
} from "./items";
import { lookupDrill } from "./lookup";
import { PIECE_OFFSET, BYTE_OFFSET, SPECIALS, Tokenizer, type TokenizerFile, buildPieces } from "./tokenizer";
import { COLOURS, POSITIONS, SHAPES, SIZES } from "./scene";
import { buildJudgePrompt, buildSelfCheckPrompt } from "../../src/reasoning/judge";
import { buildAnswerPrompt, buildStagePrompt } from "../../src/reasoning/prompts";

const TOKENIZER_PATH = "tools/train/tokenizer.json";
const IMAGE_TOKENS = 9;
/** Training mix per item: the four-stage answer always, the others with these probabilities. */
const TRAIN_MIX: Mix = { direct: 0.3, judge: 0.8, check: 0.4 };
const JUDGED_CODES = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION", "ANSWER"];

function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith("--")) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) out[a.slice(2)] = "true";
      else {
        out[a.slice(2)] = next;
        i++;
      }
    }
  }
  return out;
}

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

function vocab(a: Record<string, string>): void {
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

const loadTokenizer = (): Tokenizer => new Tokenizer(JSON.parse(readFileSync(TOKENIZER_PATH, "utf8")) as TokenizerFile);

function gen(a: Record<string, string>): void {
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

/** Examples as the trainer reads them (tools/train/data.py): token ids, and an index row per example. */
class Encoded {
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
      0,
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

function mined(a: Record<string, string>): void {
  const from = a.from;
  const pairsPath = a.pairs;
  const out = a.out;
  if (!from || !pairsPath || !out) throw new Error("mined needs --from DIR --pairs FILE --out DIR");
  const items = new Map<string, Item & { img: number }>();
  for (const line of readFileSync(join(from, "items.jsonl"), "utf8").trim().split("\n")) {
    const it = JSON.parse(line) as Item & { img: number };
    items.set(it.id, it);
  }
  mkdirSync(out, { recursive: true });
  const data = new Encoded(loadTokenizer());
  let pairs = 0;
  for (const line of readFileSync(pairsPath, "utf8").trim().split("\n")) {
    const p = JSON.parse(line) as { item: string; stage: "CAPTION" | "REASONING"; wrong: string };
    const item = items.get(p.item);
    if (!item) throw new Error(`mined: item ${p.item} of ${pairsPath} is not in ${from}/items.jsonl`);
    pairs++;
    for (const j of minedJudgeItems(item, p.stage, p.wrong)) data.add(judgeExample(item, j), item.img);
  }
  for (const f of ["images.u8", "cells.u8"]) writeFileSync(join(out, f), readFileSync(join(from, f)));
  data.write(out);
  const source = JSON.parse(readFileSync(join(from, "stats.json"), "utf8")) as {
    split: string;
    image_size: number;
    vocab_size: number;
  };
  writeFileSync(
    join(out, "stats.json"),
    JSON.stringify(
      {
        split: source.split,
        image_size: source.image_size,
        vocab_size: source.vocab_size,
        mined_from: pairsPath,
        pairs,
        total_tokens: data.tokens.length,
        ...data.stats,
      },
      null,
      1,
    ) + "\n",
  );
  console.log(
    `mined: ${pairs} wrong stages, ${data.count} judge examples, ${data.tokens.length} tokens, max len ${data.stats.max_len} -> ${out}`,
  );
}

function commit(): void {
  const tok = loadTokenizer();
  // Samples: one scene per family from the dev split, as PNG + question + four-stage answer.
  mkdirSync("data/x1-shapes/samples", { recursive: true });
  const samples = [];
  for (let i = 0; i < 8; i++) {
    const scene = sceneFor("dev", i);
    const item = makeItem("dev", i, scene, familiesFor("dev", i, 1)[0]!, 0);
    const file = `${item.family}.png`;
    writeFileSync(join("data/x1-shapes/samples", file), encodePng(IMAGE_SIZE, IMAGE_SIZE, renderScene(scene)));
    samples.push({
      image: file,
      id: item.id,
      family: item.family,
      question: item.question,
      answer: item.answer,
      stages: item.stages,
    });
  }
  writeFileSync("data/x1-shapes/samples/samples.json", JSON.stringify(samples, null, 1) + "\n");
  // A small dev set: 200 items with images inline (base64 PNG).
  mkdirSync("data/x1-shapes/dev", { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < 200; i++) {
    const scene = sceneFor("dev", i);
    const item = makeItem("dev", i, scene, familiesFor("dev", i, 1)[0]!, 0);
    const png = encodePng(IMAGE_SIZE, IMAGE_SIZE, renderScene(scene)).toString("base64");
    const { params: _params, ...rest } = item;
    lines.push(JSON.stringify({ ...rest, image_png_base64: png }));
  }
  writeFileSync("data/x1-shapes/dev/dev.jsonl", lines.join("\n") + "\n");
  // Tokenizer vectors: text → ids, and Prompt → ids through the chat template.
  const dev0 = makeItem("dev", 3, sceneFor("dev", 3), familiesFor("dev", 3, 1)[0]!, 0);
  const texts = [
    "",
    " ",
    "a",
    "How many red shapes are there?",
    "What colour is the shape at the top right?",
    "<SUMMARY>I will count.</SUMMARY>\n<CAPTION>",
    "VERDICT: 1",
    "CHECK: INCORRECT",
    "café ✓ 日本 🙂",
    "tab\there\r\nnew",
    "  two  spaces ",
    "Red, GREEN and blue!!",
    "12 + 28 = 40",
    "<unknown-tag> <bos> <eos>",
    "\u0000\u007f",
    dev0.question,
    ...Object.values(dev0.stages),
    dev0.judge[0]?.first ?? "",
  ];
  const prompts = [
    buildStagePrompt(dev0.question, {}, "SUMMARY"),
    buildStagePrompt(dev0.question, { SUMMARY: dev0.stages.SUMMARY, CAPTION: dev0.stages.CAPTION }, "REASONING"),
    buildAnswerPrompt(dev0.question),
    { user: dev0.question + "\nAnswer with a single word, number or option.", assistant_prefix: "", with_image: true },
    { system: "You are helpful.", user: "Hi", assistant_prefix: "", with_image: false },
    ...(dev0.judge[1]
      ? [
          buildJudgePrompt(
            dev0.judge[1].stage,
            dev0.question,
            dev0.judge[1].context,
            dev0.judge[1].first,
            dev0.judge[1].second,
          ),
        ]
      : []),
    buildSelfCheckPrompt(
      dev0.question,
      { SUMMARY: dev0.stages.SUMMARY, CAPTION: dev0.stages.CAPTION },
      dev0.stages.REASONING,
    ),
  ];
  const vectors = {
    tokenizer: "tools/train/tokenizer.json",
    texts: texts.map((text) => ({ text, ids: tok.encode(text) })),
    prompts: prompts.map((prompt) => ({ prompt, ids: tok.encodePrompt(prompt) })),
    targets: ["</SUMMARY>", "3"].map((text) => ({ text, ids: tok.encodeTarget(text) })),
  };
  writeFileSync("data/x1-shapes/tokenizer-vectors.json", JSON.stringify(vectors, null, 1) + "\n");
  console.log(
    `samples: ${samples.length}, dev: ${lines.length} items, vectors: ${texts.length} texts + ${prompts.length} prompts`,
  );
}

function check(): void {
  const tok = loadTokenizer();
  const vectors = JSON.parse(readFileSync("data/x1-shapes/tokenizer-vectors.json", "utf8")) as {
    texts: { text: string; ids: number[] }[];
    prompts: { prompt: Parameters<Tokenizer["encodePrompt"]>[0]; ids: number[] }[];
  };
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  let bad = 0;
  for (const v of vectors.texts) bad += Number(!same(tok.encode(v.text), v.ids) || tok.decode(v.ids) !== v.text);
  for (const v of vectors.prompts) bad += Number(!same(tok.encodePrompt(v.prompt), v.ids));
  const lines = readFileSync("data/x1-shapes/dev/dev.jsonl", "utf8").trim().split("\n");
  lines.forEach((line, i) => {
    const committed = JSON.parse(line) as {
      question: string;
      stages: unknown;
      judge: unknown;
      image_png_base64: string;
    };
    const scene = sceneFor("dev", i);
    const item = makeItem("dev", i, scene, familiesFor("dev", i, 1)[0]!, 0);
    const png = encodePng(IMAGE_SIZE, IMAGE_SIZE, renderScene(scene)).toString("base64");
    const ok =
      committed.question === item.question &&
      JSON.stringify(committed.stages) === JSON.stringify(item.stages) &&
      JSON.stringify(committed.judge) === JSON.stringify(item.judge) &&
      committed.image_png_base64 === png;
    bad += Number(!ok);
  });
  console.log(
    bad === 0
      ? `ok: ${vectors.texts.length + vectors.prompts.length} tokenizer vectors, ${lines.length} dev items regenerate identically`
      : `${bad} mismatches`,
  );
  if (bad) process.exit(1);
}

const [cmd, ...rest] = process.argv.slice(2);
const a = args(rest);
if (cmd === "vocab") vocab(a);
else if (cmd === "gen") gen(a);
else if (cmd === "mined") mined(a);
else if (cmd === "commit") commit();
else if (cmd === "check") check();
else {
  console.error("usage: x1-shapes vocab|gen|commit|check [--options]");
  process.exit(2);
}
