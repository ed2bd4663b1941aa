/**
 * Where a fresh process's first embedded request spent its time on onnxruntime-web's wasm, the
 * Worker's runtime before the x1 engine, in Node through the Worker's own X1Model: ORT's first
 * session (its initialisation plus the vision graph), the decoder's session, then four generations
 * of the same shape (an image, the SUMMARY prompt of a sample question, 50 tokens for 2
 * candidates). Kept to reproduce that diagnosis under different V8 settings (docs/benchmarks.md,
 * Cold start, "Before the x1 engine"):
 *   bash tools/bench-embedded/cold-phases.sh [V8 flag ...]     e.g. --liftoff-only
 * Prints one line of milliseconds per phase.
 */
import { performance } from "node:perf_hooks";
import { loadModelFiles } from "../../src/inference/embedded/loader";
import { X1Model } from "../../src/inference/embedded/model";
import { buildStagePrompt } from "../../src/reasoning/prompts";
import type { OrtRuntime } from "../../src/inference/embedded/runtime";
import { dirSource, webRuntimeInNode } from "../eval/node-runtime";

const laps: string[] = [];
let last = performance.now();
const lap = (name: string): void => {
  const now = performance.now();
  laps.push(`${name}=${(now - last).toFixed(0)}`);
  last = now;
};

const files = await loadModelFiles(dirSource("model-shards"));
const web = await webRuntimeInNode();
// X1Model.create builds vision, then decoder: a lap after each.
const runtime: OrtRuntime = {
  ...web,
  createSession: async (graph) => {
    const session = await web.createSession(graph);
    lap(graph.name === "vision" ? "first_session" : "decoder_session");
    return session;
  },
};
last = performance.now();
const model = await X1Model.create(files, runtime);

const a = model.manifest.architecture;
const promptIds = model.tokenizer.encodePrompt(buildStagePrompt("How many red circles are there?", {}, "SUMMARY"));
for (let k = 1; k <= 4; k++) {
  const imageEmbeds = await model.encodeImage(new Uint8Array(a.image_size * a.image_size * 3).fill(k * 40));
  await model.decode({
    promptIds,
    imageEmbeds,
    n: 2,
    seeds: [k, k + 100],
    temperature: 0,
    topP: 1,
    maxTokens: 50,
    stop: [],
    ignoreEos: true,
  });
  lap(`generation_${k}`);
}
console.log(laps.join(" "));
