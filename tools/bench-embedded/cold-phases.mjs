#!/usr/bin/env node
/**
 * Where a fresh process's first embedded request spends its time, on onnxruntime-web's wasm in
 * Node (the Worker's engine): ORT's first session (its initialisation plus the vision graph), the
 * decoder's session, then four generations of the same shape (a 40-token prompt with the image,
 * then 50 steps for 2 rows). Run it under different V8 settings to see what each phase costs, e.g.
 *   node tools/bench-embedded/cold-phases.mjs
 *   node --liftoff-only tools/bench-embedded/cold-phases.mjs
 * (docs/benchmarks.md, Cold start). Prints one line of milliseconds per phase.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-web/wasm";

ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
const dir = fileURLToPath(new URL("../../model-shards", import.meta.url));
const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
const read = (file) => new Uint8Array(readFileSync(join(dir, file)));
const session = (name) =>
  ort.InferenceSession.create(read(manifest.graphs[name].file), {
    graphOptimizationLevel: "all",
    externalData: manifest.graphs[name].shards.map((path) => ({ path, data: read(path) })),
  });
const { n_heads: H, head_dim: Dh, n_layers: layers, image_tokens: I, d_model: D } = manifest.architecture;
const cacheNames = Array.from({ length: layers }, (_, i) => [`key_${i}`, `value_${i}`]).flat();

const laps = [];
let last = performance.now();
const lap = (name) => {
  const now = performance.now();
  laps.push(`${name}=${(now - last).toFixed(0)}`);
  last = now;
};

const vision = await session("vision");
lap("first_session");
const decoder = await session("decoder");
lap("decoder_session");

const tensor = (type, data, dims) => new ort.Tensor(type, data, dims);
async function generation(k) {
  const L = 40;
  const image = await vision.run({ image: tensor("uint8", new Uint8Array(72 * 72 * 3).fill(k * 40), [1, 72, 72, 3]) });
  const ids = Int32Array.from({ length: L }, (_, i) => (i >= 1 && i <= I ? 3 : 10 + i));
  const feeds = {
    ids: tensor("int32", ids, [1, L]),
    image_embeds: image.image_embeds,
    positions: tensor(
      "int32",
      Int32Array.from({ length: L }, (_, i) => i),
      [1, L],
    ),
    key_valid: tensor(
      "int32",
      Int32Array.from({ length: L + 1 }, (_, i) => Number(i > 0)),
      [1, L + 1],
    ),
  };
  for (const name of cacheNames) {
    feeds[`prefix_${name}`] = tensor("float32", new Float32Array(0), [1, H, 0, Dh]);
    feeds[`past_${name}`] = tensor("float32", new Float32Array(H * Dh), [1, 1, H, Dh]);
  }
  let out = await decoder.run(feeds);
  const prefix = Object.fromEntries(
    cacheNames.map((name) => [`prefix_${name}`, tensor("float32", out[`new_${name}`].data, [1, H, L, Dh])]),
  );
  const B = 2;
  const past = Object.fromEntries(cacheNames.map((name) => [name, new Float32Array(B * H * Dh)]));
  for (let step = 0, P = 1; step < 50; step++, P++) {
    const keys = L + P + 1;
    const stepFeeds = {
      ...prefix,
      ids: tensor("int32", new Int32Array(B).fill(20 + step), [B, 1]),
      image_embeds: tensor("float32", new Float32Array(B * I * D), [B, I, D]),
      positions: tensor("int32", new Int32Array(B).fill(L + step), [B, 1]),
      key_valid: tensor(
        "int32",
        Int32Array.from({ length: B * keys }, (_, i) => Number(i % keys !== L)),
        [B, keys],
      ),
    };
    for (const name of cacheNames) stepFeeds[`past_${name}`] = tensor("float32", past[name], [P, B, H, Dh]);
    out = await decoder.run(stepFeeds);
    for (const name of cacheNames) {
      const grown = new Float32Array(past[name].length + B * H * Dh);
      grown.set(past[name]);
      grown.set(out[`new_${name}`].data, past[name].length);
      past[name] = grown;
    }
  }
}
for (let k = 1; k <= 4; k++) {
  await generation(k);
  lap(`generation_${k}`);
}
console.log(laps.join(" "));
