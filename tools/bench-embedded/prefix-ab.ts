/**
 * The decoder's cache layout, A/B on the same int8 weights in onnxruntime-web's wasm (one thread,
 * in Node): the per-row layout (every candidate carries a copy of the prompt's keys and values,
 * moved into and out of wasm at every step; model-shards/ before 1.5.1) against the shared prefix
 * (the prompt's cache once per step, broadcast to the batch; each row carries only its own tokens).
 * Graph runs only — the decoding loop around them is the same — for 64 steps after prompts of
 * several lengths, B = 1 and B = 4, the four timings interleaved and repeated, medians reported.
 *
 *   git show 251dfb2:model-shards/decoder.onnx > /tmp/per-row/decoder.onnx   (and its manifest.json;
 *   the weight shards are the same files) then
 *   npm run bench:prefix -- --per-row /tmp/per-row --shared model-shards
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseManifest, type ModelManifest } from "../../src/inference/embedded/manifest";
import type { OrtSessionLike, OrtTensorLike } from "../../src/inference/embedded/runtime";
import { webRuntimeInNode } from "../eval/node-runtime";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const STEPS = 64;
const lengths = arg("lengths", "20,78,200").split(",").map(Number);
const reps = Number(arg("reps", "7"));
const rt = await webRuntimeInNode();

interface Graph { dir: string; manifest: ModelManifest; session: OrtSessionLike; shared: boolean }

async function load(dir: string): Promise<Graph> {
  const manifest = parseManifest(readFileSync(`${dir}/manifest.json`, "utf8"));
  const g = manifest.graphs.decoder;
  const session = await rt.createSession({
    name: "decoder", file: g.file, bytes: new Uint8Array(readFileSync(`${dir}/${g.file}`)),
    externalData: g.shards.map((path) => ({ path, data: new Uint8Array(readFileSync(`${dir}/${path}`)) })),
  });
  return { dir, manifest, session, shared: g.inputs.includes("prefix_key_0") };
}

/** Milliseconds per decode step over STEPS steps after an L-token prompt, batch B (dummy values: time only). */
async function msPerStep(g: Graph, L: number, B: number): Promise<number> {
  const a = g.manifest.architecture;
  const names = Array.from({ length: a.n_layers }, (_, i) => [`key_${i}`, `value_${i}`]).flat();
  const kv = (b: number, t: number) => new Float32Array(b * a.n_heads * t * a.head_dim).fill(0.01);
  const shape = (b: number, t: number) => [b, a.n_heads, t, a.head_dim];
  const prefix = names.map(() => rt.tensor("float32", kv(1, L), shape(1, L)));
  let own: Float32Array[] = names.map(() => (g.shared ? kv(B, 0) : kv(B, L)));
  const started = performance.now();
  for (let s = 0; s < STEPS; s++) {
    const P = g.shared ? s : L + s;
    const feeds: Record<string, OrtTensorLike> = {
      ids: rt.tensor("int32", new Int32Array(B).fill(300), [B, 1]),
      image_embeds: rt.tensor("float32", new Float32Array(B * a.image_tokens * a.d_model), [B, a.image_tokens, a.d_model]),
      positions: rt.tensor("int32", new Int32Array(B).fill(L + s), [B, 1]),
      key_valid: rt.tensor("int32", new Int32Array(B * (L + s + 1)).fill(1), [B, L + s + 1]),
    };
    names.forEach((n, i) => {
      if (g.shared) feeds[`prefix_${n}`] = prefix[i] as OrtTensorLike;
      feeds[`past_${n}`] = rt.tensor("float32", own[i] as Float32Array, shape(B, P));
    });
    const out = await g.session.run(feeds);
    own = names.map((n) => out[`present_${n}`]?.data as Float32Array);
  }
  return (performance.now() - started) / STEPS;
}

const perRow = await load(arg("per-row", "/tmp/per-row"));
const shared = await load(arg("shared", "model-shards"));
if (perRow.shared || !shared.shared) throw new Error("--per-row needs a decoder without prefix_* inputs and --shared one with them");
const median = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)] as number;
const rows = [];
for (const L of lengths) {
  const t = { row1: [] as number[], shared1: [] as number[], row4: [] as number[], shared4: [] as number[] };
  for (let r = 0; r < reps; r++) {
    t.row1.push(await msPerStep(perRow, L, 1));
    t.shared1.push(await msPerStep(shared, L, 1));
    t.row4.push(await msPerStep(perRow, L, 4));
    t.shared4.push(await msPerStep(shared, L, 4));
  }
  rows.push({ prompt_tokens: L, per_row_1: median(t.row1), shared_1: median(t.shared1), per_row_4: median(t.row4), shared_4: median(t.shared4) });
}
const lines = [
  `decoder graph only, onnxruntime-web wasm in Node (1 thread), ${STEPS} steps after the prompt, ms per step, median of ${reps} interleaved repeats; ${shared.manifest.version} vs ${perRow.manifest.version}`,
  "| prompt tokens | B=1 per-row | B=1 shared | B=4 per-row | B=4 shared | B=4 step, shared / per-row | batched vs 4 singles, per-row | batched vs 4 singles, shared |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map((r) => `| ${r.prompt_tokens} | ${r.per_row_1.toFixed(3)} | ${r.shared_1.toFixed(3)} | ${r.per_row_4.toFixed(3)} | ${r.shared_4.toFixed(3)} | ${(r.shared_4 / r.per_row_4).toFixed(2)} | ${((4 * r.per_row_1) / r.per_row_4).toFixed(2)}× | ${((4 * r.shared_1) / r.shared_4).toFixed(2)}× |`),
];
console.log(lines.join("\n"));
writeFileSync("tools/bench-embedded/prefix-ab.json", JSON.stringify({ measured: new Date().toISOString(), steps: STEPS, reps, rows, table: lines }, null, 1) + "\n");
