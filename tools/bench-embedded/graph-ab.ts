/**
 * Experiment (not wired into the service): the embedded model's graphs on the TypeScript graph
 * interpreter (src/inference/embedded/graph) against onnxruntime-web's wasm in Node, on the first N
 * committed dev questions, greedy four-stage answers one stage at a time. Prints session time, the
 * first and the later questions' milliseconds, and how many answers are identical.
 * Usage: esbuild … --outfile=tools/.cache/graph-ab.mjs && node tools/.cache/graph-ab.mjs [both|graph|ort] [N]
 */
import { readFileSync } from "node:fs";
import { buildStagePrompt } from "../../src/reasoning/prompts";
import { STAGES, closeTag, type Stage } from "../../src/reasoning/stages";
import { loadModelFiles } from "../../src/inference/embedded/loader";
import { X1Model } from "../../src/inference/embedded/model";
import { decodeImage, toModelImage } from "../../src/inference/embedded/image";
import { graphRuntime } from "../../src/inference/embedded/graph/runtime";
import { x1Runtime } from "../../src/inference/embedded/x1/runtime";
import { parseManifest } from "../../src/inference/embedded/manifest";
import type { OrtRuntime } from "../../src/inference/embedded/runtime";
import { dirSource, webRuntimeInNode } from "../eval/node-runtime";

const which = process.argv[2] ?? "both";
const n = Number(process.argv[3] ?? 10);
const items = readFileSync("data/x1-shapes/dev/dev.jsonl", "utf8")
  .trim()
  .split("\n")
  .slice(0, n)
  .map((l) => JSON.parse(l));
async function go(name: string, rt: OrtRuntime) {
  let t0 = performance.now();
  const model = await X1Model.create(await loadModelFiles(dirSource("model-shards")), rt);
  const create = performance.now() - t0;
  const outs: string[] = [];
  const times: number[] = [];
  for (const it of items) {
    t0 = performance.now();
    const rgb = toModelImage(await decodeImage(Buffer.from(it.image_png_base64, "base64")), 72);
    const imageEmbeds = await model.encodeImage(rgb);
    const accepted: Partial<Record<Stage, string>> = {};
    for (const stage of STAGES) {
      const r = await model.decode({
        n: 1,
        seeds: [0],
        temperature: 0,
        topP: 1,
        imageEmbeds,
        promptIds: model.tokenizer.encodePrompt(buildStagePrompt(it.question, accepted, stage)),
        maxTokens: 110,
        stop: [closeTag(stage)],
      });
      accepted[stage] = (r.candidates[0]?.text ?? "").trim();
    }
    times.push(performance.now() - t0);
    outs.push(JSON.stringify(accepted));
  }
  console.log(
    name,
    "create",
    create.toFixed(0),
    "first",
    times[0]?.toFixed(0),
    "rest",
    times
      .slice(1)
      .map((t) => t.toFixed(0))
      .join(" "),
  );
  return outs;
}
const imm = () => new Promise<void>((r) => setImmediate(r));
let a: string[] = [],
  b: string[] = [];
const manifest = parseManifest(readFileSync("model-shards/manifest.json", "utf8"));
const kernel = (await (WebAssembly as unknown as { compile(b: Uint8Array): Promise<WebAssembly.Module> }).compile(readFileSync("src/inference/embedded/x1/kernels.wasm")));
if (which === "x1" || which === "x1ort") a = await go("x1", x1Runtime(kernel, manifest.architecture, imm));
else if (which !== "ort") a = await go("graph", graphRuntime(imm));
if (which === "both" || which === "ort" || which === "x1ort") b = await go("ort-web", await webRuntimeInNode());
if (which === "both" || which === "x1ort") {
  let same = 0;
  a.forEach((x, i) => {
    if (x === b[i]) same++;
    else console.log("DIFF", i, x, "\n     ", b[i]);
  });
  console.log("same", same, "of", a.length);
}
