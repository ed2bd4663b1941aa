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
 *   verify --from DIR --samples FILE --out DIR [--positives R] [--planted P] [--all]
 *                                          verifier items from the model's own samples, labelled
 *                                          (tools/train/mine.py --all; labels.ts): every wrong one, R
 *                                          right ones per wrong one per stage, and with probability
 *                                          P per item and stage a planted wrong candidate and its
 *                                          reference; --all: every sample once, grouped, to evaluate
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
  verifyExample,
} from "./items";
import { wrongCandidate } from "./corrupt";
import { isRightStage, stageVariants } from "./labels";
import type { Stages } from "./families";
import type { Scene } from "./scene";
import { STAGES, type Stage } from "../../src/reasoning/stages";
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
function readItems(from: string): Map<string, Item & { img: number }> {
  const items = new Map<string, Item & { img: number }>();
  for (const line of readFileSync(join(from, "items.jsonl"), "utf8").trim().split("\n")) {
    const it = JSON.parse(line) as Item & { img: number };
    items.set(it.id, it);
  }
  return items;
}

/** A dataset derived from the --jsonl split `from`: its images and cells, the new examples, and their stats. */
function writeDerived(from: string, out: string, data: Encoded, extra: Record<string, unknown>): void {
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

function mined(a: Record<string, string>): void {
  const from = a.from;
  const pairsPath = a.pairs;
  const out = a.out;
  if (!from || !pairsPath || !out) throw new Error("mined needs --from DIR --pairs FILE --out DIR");
  const items = readItems(from);
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
  writeDerived(from, out, data, { mined_from: pairsPath, pairs });
  console.log(
    `mined: ${pairs} wrong stages, ${data.count} judge examples, ${data.tokens.length} tokens, max len ${data.stats.max_len} -> ${out}`,
  );
}

/**
 * Verifier items from the model's own samples (tools/train/mine.py --all), labelled exactly
 * (labels.ts): every wrong sample, about --positives right ones per wrong one in each stage, and
 * with probability --planted per item and stage a planted wrong candidate (corrupt.ts) with a right
 * one, so stages the model seldom gets wrong still have negatives. Writes the labelled samples to
 * labels.jsonl too (tools/train/verify_eval.py scores held-out ones).
 */
function verify(a: Record<string, string>): void {
  const from = a.from;
  const samplesPath = a.samples;
  const out = a.out;
  if (!from || !samplesPath || !out) throw new Error("verify needs --from DIR --samples FILE --out DIR");
  const positives = Number(a.positives ?? 1);
  const planted = Number(a.planted ?? 0);
  const items = readItems(from);
  const variants = new Map<string, Stages[]>();
  const variantsOf = (item: Item): Stages[] => {
    let v = variants.get(item.id);
    if (!v) variants.set(item.id, (v = stageVariants(sceneOf(item), item.params, item.question)));
    return v;
  };
  const rows = readFileSync(samplesPath, "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const r = JSON.parse(line) as {
        item: string;
        stage: Stage;
        text: string;
        times: number;
        context?: Partial<Stages>;
      };
      const item = items.get(r.item);
      if (!item) throw new Error(`verify: item ${r.item} of ${samplesPath} is not in ${from}/items.jsonl`);
      return { ...r, family: item.family, right: isRightStage(r.stage, r.text, variantsOf(item), item.answer) };
    });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "labels.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const tally = (right: boolean) => {
    const m = new Map<Stage, number>();
    for (const r of rows) if (r.right === right) m.set(r.stage, (m.get(r.stage) ?? 0) + 1);
    return m;
  };
  const wrongByStage = tally(false);
  const rightByStage = tally(true);
  const rng = substream(Number(a.seed ?? 17), 0);
  const data = new Encoded(loadTokenizer());
  if (a.all === "true") {
    // An evaluation set: every labelled sample once, grouped by item and stage (a right and a wrong
    // sample of one group make a held-out pair), for tools/train/verify_eval.py.
    const groups = new Map<string, number>();
    for (const r of rows) {
      const key = JSON.stringify([r.item, r.stage]);
      if (!groups.has(key)) groups.set(key, groups.size + 1);
      const item = items.get(r.item)!;
      data.add({ ...verifyExample(item, r.stage, r.text, r.right, r.context), group: groups.get(key) }, item.img);
    }
    writeDerived(from, out, data, { verify_from: samplesPath, groups: groups.size });
    console.log(`verify --all: ${data.count} labelled samples in ${groups.size} groups -> ${out}`);
    return;
  }
  const counts: Record<string, { right: number; wrong: number; planted: number }> = {};
  const count = (stage: Stage) => (counts[stage] ??= { right: 0, wrong: 0, planted: 0 });
  for (const r of rows) {
    const item = items.get(r.item)!;
    const keep = r.right ? (positives * (wrongByStage.get(r.stage) ?? 0)) / (rightByStage.get(r.stage) ?? 1) : 1;
    if (rng() < keep) {
      data.add(verifyExample(item, r.stage, r.text, r.right, r.context), item.img);
      count(r.stage)[r.right ? "right" : "wrong"]++;
    }
  }
  if (planted > 0) {
    for (const item of items.values()) {
      const right = { question: item.question, answer: item.answer, stages: item.stages };
      for (const stage of STAGES) {
        if (rng() >= planted) continue;
        const wrong = wrongCandidate(rng, sceneOf(item), item.params, right, stage);
        if (!wrong || isRightStage(stage, wrong.text, variantsOf(item), item.answer)) continue;
        data.add(verifyExample(item, stage, wrong.text, false), item.img);
        data.add(verifyExample(item, stage, item.stages[stage], true), item.img);
        count(stage).planted++;
      }
    }
  }
  writeDerived(from, out, data, { verify_from: samplesPath, counts });
  console.log(`verify: ${JSON.stringify(counts)}; ${data.count} examples, ${data.tokens.length} tokens -> ${out}`);
}

/** The scene an item (of a generated split) is about: its id is `<split>-<scene index>-<question>`. */
function sceneOf(item: Item): Scene {
  return sceneFor(item.split, Number(item.id.split("-")[1]));
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
else if (cmd === "verify") verify(a);
else if (cmd === "commit") commit();
else if (cmd === "check") check();
else {
  console.error("usage: x1-shapes vocab|gen|mined|verify|commit|check [--options] (see the top of cli.ts)");
  process.exit(2);
}
