/**
 * The Node half of `npm run bench:embedded`: the same measurements on onnxruntime-node (one
 * thread) over the same model-shards/, then the comparison with the workerd figures (argv[2]).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { loadModelFiles } from "../../src/inference/embedded/loader";
import { X1Model } from "../../src/inference/embedded/model";
import { dirSource, nodeRuntime } from "../eval/node-runtime";
import { measure, type BenchFigures } from "./measure";

const workerd = JSON.parse(readFileSync(process.argv[2] as string, "utf8")) as BenchFigures & {
  session_ms: number;
  load_and_verify_ms: number;
  peak_wasm_heap_bytes?: number;
  wasm_heap_after_session_bytes?: number;
};
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
const lines = [
  `model ${model.manifest.model} ${model.manifest.version}, int8 weights ${(model.manifest.quantization.int8_bytes / 1024).toFixed(0)} KiB; whole-answer prompt ${node.prompt_tokens} tokens; 64 generated tokens per candidate (EOS ignored); median of ${node.repeats} rounds (the speed-up: median of each round's own ratio)`,
  "| | workerd (onnxruntime-web wasm, 1 thread) | onnxruntime-node (1 thread) | workerd / node |",
  "| --- | --- | --- | --- |",
  `| decode, 1 candidate (tokens/s) | ${f(workerd.single_tokens_per_s)} | ${f(node.single_tokens_per_s)} | ${(workerd.single_tokens_per_s / node.single_tokens_per_s).toFixed(2)} |`,
  `| decode, N=4 in one batch (tokens/s) | ${f(workerd.batched4_tokens_per_s)} | ${f(node.batched4_tokens_per_s)} | ${(workerd.batched4_tokens_per_s / node.batched4_tokens_per_s).toFixed(2)} |`,
  `| four single decodes (tokens/s) | ${f(workerd.four_singles_tokens_per_s)} | ${f(node.four_singles_tokens_per_s)} | |`,
  `| batched N=4 vs four singles (throughput) | ${workerd.batched_speedup.toFixed(2)}× | ${node.batched_speedup.toFixed(2)}× | |`,
  `| after the CONCLUSION stage prompt (${node.stage_prompt.prompt_tokens} tokens): decode, 1 candidate (tokens/s) | ${f(workerd.stage_prompt.single_tokens_per_s)} | ${f(node.stage_prompt.single_tokens_per_s)} | ${(workerd.stage_prompt.single_tokens_per_s / node.stage_prompt.single_tokens_per_s).toFixed(2)} |`,
  `| after the CONCLUSION stage prompt: N=4 in one batch (tokens/s) | ${f(workerd.stage_prompt.batched4_tokens_per_s)} | ${f(node.stage_prompt.batched4_tokens_per_s)} | ${(workerd.stage_prompt.batched4_tokens_per_s / node.stage_prompt.batched4_tokens_per_s).toFixed(2)} |`,
  `| after the CONCLUSION stage prompt: batched N=4 vs four singles | ${workerd.stage_prompt.batched_speedup.toFixed(2)}× | ${node.stage_prompt.batched_speedup.toFixed(2)}× | |`,
  `| session creation (both graphs) | ${workerd.session_ms} ms | ${model.session_ms} ms | |`,
  `| fetch + SHA-256 of all files | ${workerd.load_and_verify_ms} ms | | |`,
  `| wasm heap after session / peak | ${mb(workerd.wasm_heap_after_session_bytes)} / ${mb(workerd.peak_wasm_heap_bytes)} | | |`,
];
console.log(lines.join("\n"));
writeFileSync(
  "bench/results/embedded.json",
  JSON.stringify({ workerd, node: { ...node, session_ms: model.session_ms }, table: lines }, null, 1) + "\n",
);
