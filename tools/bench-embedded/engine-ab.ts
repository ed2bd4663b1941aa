/**
 * The x1 engine (the Worker's runtime) against onnxruntime-web's wasm, both in Node, on the first N
 * committed dev questions: greedy four-stage answers one stage at a time, each runtime in turn, for
 * a number of passes. Prints session time, the first question's milliseconds, the median of the
 * later ones, and how many answers are identical.
 * Usage: npm run bench:engines -- [N questions, default 12] [passes, default 3]
 */
import { readFileSync } from "node:fs";
import { greedyStages } from "../../src/inference/embedded/greedy";
import { decodeImage, toModelImage } from "../../src/inference/embedded/image";
import { loadModelFiles } from "../../src/inference/embedded/loader";
import { X1Model } from "../../src/inference/embedded/model";
import type { OrtRuntime } from "../../src/inference/embedded/runtime";
import type { DevItem } from "../eval/answers";
import { dirSource, webRuntimeInNode, x1RuntimeInNode } from "../eval/node-runtime";

const count = Number(process.argv[2] ?? 12);
const passes = Number(process.argv[3] ?? 3);
const items = readFileSync("data/x1-shapes/dev/dev.jsonl", "utf8")
  .trim()
  .split("\n")
  .slice(0, count)
  .map((l) => JSON.parse(l) as DevItem);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function answer(model: X1Model, it: DevItem): Promise<string> {
  const rgb = toModelImage(
    await decodeImage(Buffer.from(it.image_png_base64, "base64")),
    model.manifest.architecture.image_size,
  );
  const imageEmbeds = await model.encodeImage(rgb);
  const accepted = await greedyStages(model, it.question, imageEmbeds);
  return JSON.stringify(accepted);
}

const files = await loadModelFiles(dirSource("model-shards"));
const runtimes: [string, () => Promise<OrtRuntime>][] = [
  ["x1 engine", () => x1RuntimeInNode(files.manifest.architecture)],
  ["onnxruntime-web", () => webRuntimeInNode()],
];
const answers: string[][] = [];
for (const [name, make] of runtimes) {
  const t0 = performance.now();
  const model = await X1Model.create(files, await make());
  const sessions = performance.now() - t0;
  const times: number[] = [];
  const outs: string[] = [];
  for (let pass = 0; pass < passes; pass++) {
    for (const it of items) {
      const t = performance.now();
      const a = await answer(model, it);
      times.push(performance.now() - t);
      if (pass === 0) outs.push(a);
    }
  }
  answers.push(outs);
  const rest = times.slice(1);
  console.log(
    `${name.padEnd(16)} sessions ${sessions.toFixed(0)} ms · first question ${times[0]?.toFixed(0)} ms · later questions median ${median(rest).toFixed(0)} ms (${rest.length})`,
  );
}
const same = (answers[0] ?? []).filter((a, i) => a === answers[1]?.[i]).length;
console.log(`identical answers: ${same} of ${items.length}`);
