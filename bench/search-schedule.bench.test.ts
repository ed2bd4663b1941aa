/**
 * Search-schedule benchmark (issues 2 and 7), measured side by side in one run:
 *  1. stage_beam N=4 and N=8 (judge scorer) with our concurrent rounds against the reference's
 *     fully sequential schedule (candidates one by one, matches one by one);
 *  2. the durable overhead: the same run through the ReasoningRun Durable Object against the
 *     in-memory executor;
 * on a fixed-latency mock backend (25 ms per call) and on the embedded model (int8 ONNX in
 * workerd, a committed sample image). Repeats are interleaved so machine noise hits all three
 * alike; medians are reported. Run: npm run bench (or BENCH_ONLY=schedule npm run bench).
 * Prints a markdown table and one BENCH_RESULT JSON line.
 */
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import vectors from "../test/embedded/fixtures/preprocess-vectors.json";
import type { Backend, ImageInput } from "../src/inference/backend";
import { EmbeddedBackend, loadEmbeddedModel, ASSETS_ORIGIN } from "../src/inference/embedded";
import { fetcherSource } from "../src/inference/embedded/loader";
import { createFixedLatencyModel, testBackends } from "../src/inference/mock-model";
import { runInMemory } from "../src/reasoning/memory-executor";
import type { RunSpec } from "../src/reasoning/types";

const MOCK_REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const EMBEDDED_REPEATS = Number(process.env.BENCH_EMBEDDED_REPEATS ?? 9);
const EMBEDDED_ID = "embedded:x1-shapes-tiny";

/**
 * Temperature 0.6 for the mock (its candidates differ by script); 1.0 for the embedded model, whose
 * candidates at 0.6 are mostly identical twins, merged without a match, which would leave little
 * to schedule.
 */
function spec(question: string, candidates: number, seed: number, hasImage: boolean, temperature: number): RunSpec {
  return {
    question,
    has_image: hasImage,
    search: { strategy: "stage_beam", candidates, keep: 1, scorer: "judge" },
    sampling: { temperature, top_p: 0.95, max_tokens_per_stage: 128, seed },
  };
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Row {
  backend: string;
  candidates: number;
  repeats: number;
  sequential_ms: number;
  concurrent_ms: number;
  durable_ms: number;
  speedup: number;
  durable_overhead: number;
  /** Backend calls of the concurrent runs, summed over repeats: candidates generated, judge matches. */
  generated: number;
  matches: number;
}

async function measureRow(
  label: string,
  backend: Backend,
  question: string,
  image: ImageInput | undefined,
  candidates: number,
  repeats: number,
  temperature: number,
): Promise<Row> {
  const seq: number[] = [],
    conc: number[] = [],
    durable: number[] = [];
  let generated = 0,
    matches = 0;
  for (let r = 0; r < repeats; r++) {
    const s = spec(question, candidates, 100 + r, image !== undefined, temperature);
    seq.push(await timeIt(() => runInMemory(s, backend, { image, schedule: "sequential" })));
    conc.push(
      await timeIt(async () => {
        const run = await runInMemory(s, backend, { image, schedule: "concurrent" });
        for (const c of run.calls) {
          if (c.purpose === "generate") generated += c.n;
          if (c.purpose === "judge") matches += 1;
        }
      }),
    );
    durable.push(
      await timeIt(async () => {
        const id = env.RUNS.newUniqueId();
        const stub = env.RUNS.get(id);
        await stub.create({
          id: `run_${id}`,
          model: backend.id,
          spec: s,
          image,
          limits: { deadline_at: Date.now() + 600_000 },
          created_at: Date.now(),
        });
        const view = await stub.wait(600_000);
        expect(view?.status).toBe("succeeded");
      }),
    );
  }
  const [s, c, d] = [median(seq), median(conc), median(durable)];
  return {
    backend: label,
    candidates,
    repeats,
    sequential_ms: s,
    concurrent_ms: c,
    durable_ms: d,
    speedup: s / c,
    durable_overhead: d / c,
    generated,
    matches,
  };
}

it("search schedule and durable overhead, mock and embedded, N=4 and N=8", async () => {
  const rows: Row[] = [];
  const mock = createFixedLatencyModel({ id: "mock:bench-25", latencyMs: 25 });
  testBackends.set(mock.id, mock);
  for (const n of [4, 8])
    rows.push(
      await measureRow(
        "mock, 25 ms per call",
        mock,
        "How many red circles are there?",
        undefined,
        n,
        MOCK_REPEATS,
        0.6,
      ),
    );

  const sample = vectors.vectors.find((v) => v.family === "count_shape") ?? vectors.vectors[0]!;
  const image: ImageInput = {
    bytes: Uint8Array.from(atob(sample.png_base64), (c) => c.charCodeAt(0)),
    media_type: "image/png",
  };
  const model = () =>
    loadEmbeddedModel(EMBEDDED_ID, fetcherSource(env.ASSETS as Fetcher, `${ASSETS_ORIGIN}/model-shards`));
  await model(); // load once outside the timings: the Durable Object shares the isolate's model cache
  const embedded = new EmbeddedBackend({ id: EMBEDDED_ID, model });
  for (const n of [4, 8])
    rows.push(await measureRow("embedded (int8, workerd)", embedded, sample.question, image, n, EMBEDDED_REPEATS, 1.0));

  console.log(
    [
      "stage_beam, judge scorer: the reference's sequential schedule vs ours, in memory and through the Durable Object (median ms)",
      "| backend | N | repeats | candidates / matches per run | sequential (reference) | concurrent (ours) | speed-up | Durable Object | durable overhead |",
      "|---|---|---|---|---|---|---|---|---|",
      ...rows.map(
        (r) =>
          `| ${r.backend} | ${r.candidates} | ${r.repeats} | ${(r.generated / r.repeats).toFixed(1)} / ${(r.matches / r.repeats).toFixed(1)} | ${r.sequential_ms.toFixed(0)} | ${r.concurrent_ms.toFixed(0)} | ${r.speedup.toFixed(2)}× | ${r.durable_ms.toFixed(0)} | ${r.durable_overhead.toFixed(2)}× |`,
      ),
    ].join("\n"),
  );
  console.log(`BENCH_RESULT ${JSON.stringify({ schedule: rows })}`);
  for (const r of rows) expect(r.speedup).toBeGreaterThan(0);
});
