/**
 * The workerd half of `npm run bench:embedded`: the embedded model exactly as the Worker loads it
 * (ASSETS binding, hash checks, one thread) on the x1 engine, and on onnxruntime-web's wasm as the
 * reference, in the same run. Prints one BENCH_RESULT line with both.
 */
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import vectors from "../../test/embedded/fixtures/preprocess-vectors.json";
import { ASSETS_ORIGIN } from "../../src/inference/embedded";
import { fetcherSource, loadModelFiles } from "../../src/inference/embedded/loader";
import { X1Model } from "../../src/inference/embedded/model";
import { wasmHeapBytes, workerdRuntime } from "../../src/inference/embedded/ort-workerd";
import type { OrtRuntime } from "../../src/inference/embedded/runtime";
import { workerdX1Runtime } from "../../src/inference/embedded/x1/workerd";
import { measure } from "./measure";

it("decode throughput, session creation and wasm heap inside workerd, x1 engine and onnxruntime-web", async () => {
  const sample = vectors.vectors[0] as { png_base64: string; question: string };
  const png = Uint8Array.from(atob(sample.png_base64), (c) => c.charCodeAt(0));
  const t0 = Date.now();
  const files = await loadModelFiles(fetcherSource(env.ASSETS as Fetcher, `${ASSETS_ORIGIN}/model-shards`));
  const loadMs = Date.now() - t0;
  const run = async (runtime: OrtRuntime, heap: () => number | undefined) => {
    const model = await X1Model.create(files, runtime);
    const heapAfterSession = heap();
    const figures = await measure(model, runtime.name, png, sample.question);
    return {
      ...figures,
      session_ms: model.session_ms,
      wasm_heap_after_session_bytes: heapAfterSession,
      peak_wasm_heap_bytes: heap(),
    };
  };
  const x1 = workerdX1Runtime(files.manifest.architecture);
  const result = {
    load_and_verify_ms: loadMs,
    x1: await run(x1, () => x1.wasmHeapBytes?.()),
    ort: await run(workerdRuntime(), wasmHeapBytes),
  };
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
  expect(result.x1.batched4_tokens_per_s).toBeGreaterThan(0);
});
