/**
 * The workerd half of `npm run bench:embedded`: the embedded model exactly as the Worker loads it
 * (ASSETS binding, hash checks, onnxruntime-web wasm, one thread). Prints one BENCH_RESULT line.
 */
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import vectors from "../../test/embedded/fixtures/preprocess-vectors.json";
import { ASSETS_ORIGIN } from "../../src/inference/embedded";
import { fetcherSource, loadModelFiles } from "../../src/inference/embedded/loader";
import { X1Model } from "../../src/inference/embedded/model";
import { wasmHeapBytes, workerdRuntime } from "../../src/inference/embedded/ort-workerd";
import { measure } from "./measure";

it("decode throughput, session creation and wasm heap inside workerd", async () => {
  const sample = vectors.vectors[0] as { png_base64: string; question: string };
  const png = Uint8Array.from(atob(sample.png_base64), (c) => c.charCodeAt(0));
  const t0 = Date.now();
  const files = await loadModelFiles(fetcherSource(env.ASSETS as Fetcher, `${ASSETS_ORIGIN}/model-shards`));
  const loadMs = Date.now() - t0;
  const runtime = workerdRuntime();
  const model = await X1Model.create(files, runtime);
  const heapAfterSession = wasmHeapBytes();
  const figures = await measure(model, runtime.name, png, sample.question);
  const result = {
    ...figures,
    load_and_verify_ms: loadMs,
    session_ms: model.session_ms,
    wasm_heap_after_session_bytes: heapAfterSession,
    peak_wasm_heap_bytes: wasmHeapBytes(),
  };
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
  expect(figures.batched4_tokens_per_s).toBeGreaterThan(0);
});
