/**
 * The decoder's cache layout, A/B on the same int8 weights in onnxruntime-web's wasm (one thread,
 * in Node). Three layouts, told apart by each graph's inputs and outputs:
 *   per-row  every candidate carries a copy of the prompt's keys and values, moved into and out of
 *            wasm at every step (model-shards/ before 1.5.1);
 *   shared   the prompt's cache once per step, broadcast to the batch; each row's own tokens are
 *            concatenated in the graph and the whole own cache returned as present_* (1.5.1–1.6.0);
 *   owned    the shared prefix, and the caller owns the rows' cache, token-major: the graph returns
 *            only the step's new keys and values, appended as one slot (1.6.1 on).
 * Each timing is 64 decode steps after an L-token prompt with the cache handling the engine does
 * around the graph for that layout (dummy values: time only); prompts of several lengths, B = 1 and
 * B = 4, every graph's timings interleaved and repeated, medians reported.
 *
 *   git show 251dfb2:model-shards/decoder.onnx > /tmp/per-row/decoder.onnx   (and its manifest.json;
 *   the weight shards are the same files; d838c2f has the 1.6.0 shared graph) then
 *   npm run bench:prefix -- --graph per-row=/tmp/per-row --graph shared=/tmp/shared --graph owned=model-shards
 */
import { readFileSync, writeFileSync } from "node:fs";
import { OwnCache } from "../../src/inference/embedded/own-cache";
import { parseManifest, type ModelManifest } from "../../src/inference/embedded/manifest";
import type { OrtSessionLike, OrtTensorLike } from "../../src/inference/embedded/runtime";
import { webRuntimeInNode } from "../eval/node-runtime";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const graphArgs = process.argv.flatMap((a, i) => (a === "--graph" ? [process.argv[i + 1] as string] : []));
const STEPS = 64;
const lengths = arg("lengths", "20,78,200").split(",").map(Number);
const reps = Number(arg("reps", "7"));
const rt = await webRuntimeInNode();

type Layout = "per-row" | "shared" | "owned";
interface Graph {
  label: string;
  dir: string;
  manifest: ModelManifest;
  session: OrtSessionLike;
  layout: Layout;
}

async function load(label: string, dir: string): Promise<Graph> {
  const manifest = parseManifest(readFileSync(`${dir}/manifest.json`, "utf8"));
  const g = manifest.graphs.decoder;
  const session = await rt.createSession({
    name: "decoder",
    file: g.file,
    bytes: new Uint8Array(readFileSync(`${dir}/${g.file}`)),
    externalData: g.shards.map((path) => ({ path, data: new Uint8Array(readFileSync(`${dir}/${path}`)) })),
  });
  const layout: Layout = g.outputs.includes("new_key_0")
    ? "owned"
    : g.inputs.includes("prefix_key_0")
      ? "shared"
      : "per-row";
  return { label, dir, manifest, session, layout };
}

/** Milliseconds per decode step over STEPS steps after an L-token prompt, batch B. */
async function msPerStep(g: Graph, L: number, B: number): Promise<number> {
  const a = g.manifest.architecture;
  const names = Array.from({ length: a.n_layers }, (_, i) => [`key_${i}`, `value_${i}`]).flat();
  const kv = (b: number, t: number) => new Float32Array(b * a.n_heads * t * a.head_dim).fill(0.01);
  const shape = (b: number, t: number) => [b, a.n_heads, t, a.head_dim];
  const prefix = names.map(() => rt.tensor("float32", kv(1, L), shape(1, L)));
  let own: Float32Array[] = names.map(() => (g.layout === "per-row" ? kv(B, L) : kv(B, 0)));
  const owned = new OwnCache(names.length, B, a.n_heads * a.head_dim, 64);
  const started = performance.now();
  for (let s = 0; s < STEPS; s++) {
    // per-row: the prompt and own tokens in every row; shared: own tokens; owned: the engine's cache.
    const P = g.layout === "per-row" ? L + s : s;
    const feeds: Record<string, OrtTensorLike> = {
      ids: rt.tensor("int32", new Int32Array(B).fill(300), [B, 1]),
      image_embeds: rt.tensor("float32", new Float32Array(B * a.image_tokens * a.d_model), [
        B,
        a.image_tokens,
        a.d_model,
      ]),
      positions: rt.tensor("int32", new Int32Array(B).fill(L + s), [B, 1]),
      key_valid:
        g.layout === "owned"
          ? rt.tensor("int32", owned.keyValid(L, 1), [B, L + owned.slots + 1])
          : rt.tensor("int32", new Int32Array(B * (L + s + 1)).fill(1), [B, L + s + 1]),
    };
    names.forEach((n, i) => {
      if (g.layout !== "per-row") feeds[`prefix_${n}`] = prefix[i] as OrtTensorLike;
      feeds[`past_${n}`] =
        g.layout === "owned"
          ? rt.tensor("float32", owned.view(i), [owned.slots, B, a.n_heads, a.head_dim])
          : rt.tensor("float32", own[i] as Float32Array, shape(B, P));
    });
    const out = await g.session.run(feeds);
    if (g.layout === "owned") owned.append(names.map((n) => out[`new_${n}`]?.data as Float32Array));
    else own = names.map((n) => out[`present_${n}`]?.data as Float32Array);
  }
  return (performance.now() - started) / STEPS;
}

if (graphArgs.length < 2) throw new Error("give two graphs or more: --graph LABEL=DIR --graph LABEL=DIR …");
const graphs: Graph[] = [];
for (const g of graphArgs) {
  const [label, dir] = g.includes("=") ? [g.slice(0, g.indexOf("=")), g.slice(g.indexOf("=") + 1)] : [g, g];
  graphs.push(await load(label, dir));
}
const median = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)] as number;
const rows = [];
for (const L of lengths) {
  const t = graphs.map(() => ({ b1: [] as number[], b4: [] as number[] }));
  for (let r = 0; r < reps; r++) {
    for (const [k, g] of graphs.entries()) (t[k] as { b1: number[] }).b1.push(await msPerStep(g, L, 1));
    for (const [k, g] of graphs.entries()) (t[k] as { b4: number[] }).b4.push(await msPerStep(g, L, 4));
  }
  rows.push({
    prompt_tokens: L,
    graphs: graphs.map((g, k) => ({
      label: g.label,
      layout: g.layout,
      b1: median(t[k]?.b1 ?? []),
      b4: median(t[k]?.b4 ?? []),
    })),
  });
}
const lines = [
  `decoder graph + the engine's cache handling, onnxruntime-web wasm in Node (1 thread), ${STEPS} steps after the prompt, ms per step, median of ${reps} interleaved repeats; ${graphs.map((g) => `${g.label} = ${g.layout} (${g.manifest.version})`).join(", ")}`,
  `| prompt tokens | ${graphs.map((g) => `B=1 ${g.label}`).join(" | ")} | ${graphs.map((g) => `B=4 ${g.label}`).join(" | ")} | ${graphs.map((g) => `batched vs 4 singles, ${g.label}`).join(" | ")} |`,
  `| --- |${" --- |".repeat(3 * graphs.length)}`,
  ...rows.map(
    (r) =>
      `| ${r.prompt_tokens} | ${r.graphs.map((g) => g.b1.toFixed(3)).join(" | ")} | ${r.graphs.map((g) => g.b4.toFixed(3)).join(" | ")} | ${r.graphs.map((g) => `${((4 * g.b1) / g.b4).toFixed(2)}×`).join(" | ")} |`,
  ),
];
console.log(lines.join("\n"));
writeFileSync(
  "tools/.cache/prefix-ab.json",
  JSON.stringify({ measured: new Date().toISOString(), steps: STEPS, reps, rows, table: lines }, null, 1) + "\n",
);
