/**
 * The Node half of `npm run bench:embedded`: the same measurements on onnxruntime-node (one
 * thread) over the same model-shards/, then the table beside the workerd figures (argv[2]: the x1
 * engine and onnxruntime-web).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { loadModelFiles } from "../../src/inference/embedded/loader";
import { X1Model } from "../../src/inference/embedded/model";
import { dirSource, nodeRuntime } from "../eval/node-runtime";
import { measure, type BenchFigures } from "./measure";

type WorkerdFigures = BenchFigures & {
  session_ms: number;
  peak_wasm_heap_bytes?: number;
  wasm_heap_after_session_bytes?: number;
};
const measured = JSON.parse(readFileSync(process.argv[2] as string, "utf8")) as {
  load_and_verify_ms: number;
  x1: WorkerdFigures;
  ort: WorkerdFigures;
};
const { x1, ort } = measured;
const vectors = JSON.parse(readFileSync("test/embedded/fixtures/preprocess-vectors.json", "utf8")) as {
  vectors: { png_base64: string; question: string }[];
};
const sample = vectors.vectors[0] as { png_base64: string; question: string };
const runtime = await nodeRuntime("model-shards", 1);
const model = await X1Model.create(await loadModelFiles(dirSource("model-shards")), runtime);
const node = await measure(
  model,
  runtime.name,
  new Uint8Array(Buffer.from(sample.png_base64, "base64")),
  sample.question,
);
const mb = (b?: number) => (b === undefined ? "n/a" : `${(b / 2 ** 20).toFixed(1)} MiB`);
const f = (x: number) => x.toFixed(0);
const ratio = (a: number, b: number) => (a / b).toFixed(2);
const row = (what: string, pick: (x: BenchFigures) => number) =>
  `| ${what} | ${f(pick(x1))} | ${f(pick(ort))} | ${f(pick(node))} | ${ratio(pick(x1), pick(ort))} |`;
const speedup = (what: string, pick: (x: BenchFigures) => number) =>
  `| ${what} | ${pick(x1).toFixed(2)}× | ${pick(ort).toFixed(2)}× | ${pick(node).toFixed(2)}× | |`;
const lines = [
  `model ${model.manifest.model} ${model.manifest.version}, int8 weights ${(model.manifest.quantization.int8_bytes / 1024).toFixed(0)} KiB; whole-answer prompt ${node.prompt_tokens} tokens; 64 generated tokens per candidate (EOS ignored); median of ${node.repeats} rounds (the speed-up: median of each round's own ratio)`,
  "| | workerd, x1 engine | workerd, onnxruntime-web (wasm) | onnxruntime-node (1 thread) | x1 / onnxruntime-web |",
  "| --- | --- | --- | --- | --- |",
  row("decode, 1 candidate (tokens/s)", (x) => x.single_tokens_per_s),
  row("decode, N=4 in one batch (tokens/s)", (x) => x.batched4_tokens_per_s),
  row("four single decodes (tokens/s)", (x) => x.four_singles_tokens_per_s),
  speedup("batched N=4 vs four singles (throughput)", (x) => x.batched_speedup),
  row(
    `after the CONCLUSION stage prompt (${node.stage_prompt.prompt_tokens} tokens): 1 candidate (tokens/s)`,
    (x) => x.stage_prompt.single_tokens_per_s,
  ),
  row("after the stage prompt: N=4 in one batch (tokens/s)", (x) => x.stage_prompt.batched4_tokens_per_s),
  speedup("after the stage prompt: batched N=4 vs four singles", (x) => x.stage_prompt.batched_speedup),
  `| session creation (both graphs) | ${x1.session_ms} ms | ${ort.session_ms} ms | ${model.session_ms} ms | |`,
  `| fetch + SHA-256 of all files | ${measured.load_and_verify_ms} ms | | | |`,
  `| wasm memory after session / peak | ${mb(x1.wasm_heap_after_session_bytes)} / ${mb(x1.peak_wasm_heap_bytes)} | ${mb(ort.wasm_heap_after_session_bytes)} / ${mb(ort.peak_wasm_heap_bytes)} | | |`,
];
console.log(lines.join("\n"));
writeFileSync(
  "bench/results/embedded.json",
  JSON.stringify({ workerd: measured, node: { ...node, session_ms: model.session_ms }, table: lines }, null, 1) + "\n",
);
