/**
 * `commit` writes data/x1-shapes (sample images, the 200-question dev set, the tokenizer's test
 * vectors); `check` regenerates them and fails on any difference.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IMAGE_SIZE, renderScene } from "./scene";
import { encodePng } from "./png";
import { familiesFor, makeItem, sceneFor } from "./items";
import type { Tokenizer } from "./tokenizer";
import { buildJudgePrompt, buildSelfCheckPrompt } from "../../src/reasoning/judge";
import { buildAnswerPrompt, buildStagePrompt } from "../../src/reasoning/prompts";
import { loadTokenizer } from "./dataset";

export function commit(): void {
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

export function check(): void {
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
