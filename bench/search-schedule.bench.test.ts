/**
 * Issue 2 benchmark, measured side by side in one run:
 *  1. stage_beam N=4 with our concurrent rounds vs the reference's fully sequential schedule
 *     (candidates one by one, matches one by one), on a fixed-latency mock backend;
 *  2. the durable overhead: the same run through the ReasoningRun Durable Object vs the
 *     in-memory executor.
 * Run: npm run bench. Prints a table; figures go to the README / BENCHMARKS.md.
 */
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import { createFixedLatencyModel, testBackends } from "../src/inference/mock-model";
import { runInMemory } from "../src/reasoning/memory-executor";
import type { RunSpec } from "../src/reasoning/types";

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

function spec(candidates: number, seed: number): RunSpec {
  return {
    question: "How many red circles are there?",
    has_image: false,
    search: { strategy: "stage_beam", candidates, keep: 1, scorer: "judge" },
    sampling: { temperature: 0.6, top_p: 0.9, max_tokens_per_stage: 128, seed },
  };
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

it("search schedule and durable overhead", async () => {
  const rows: string[] = [];
  for (const latencyMs of [25, 50]) {
    const model = createFixedLatencyModel({ id: `mock:bench-${latencyMs}`, latencyMs });
    testBackends.set(model.id, model);
    const seq: number[] = [], conc: number[] = [], durable: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const s = spec(4, 100 + r);
      // interleaved, so that machine noise hits all three alike
      seq.push(await timeIt(() => runInMemory(s, model, { schedule: "sequential" })));
      conc.push(await timeIt(() => runInMemory(s, model, { schedule: "concurrent" })));
      durable.push(
        await timeIt(async () => {
          const id = env.RUNS.newUniqueId();
          const stub = env.RUNS.get(id);
          await stub.create({ id: `run_${id}`, model: model.id, spec: s, limits: { deadline_at: Date.now() + 600_000 }, created_at: Date.now() });
          const view = await stub.wait(600_000);
          expect(view?.status).toBe("succeeded");
        }),
      );
    }
    const [mSeq, mConc, mDur] = [median(seq), median(conc), median(durable)];
    rows.push(
      `| ${latencyMs} ms | ${mSeq.toFixed(0)} | ${mConc.toFixed(0)} | ${(mSeq / mConc).toFixed(2)}× | ${mDur.toFixed(0)} | ${(mDur / mConc).toFixed(2)}× |`,
    );
  }
  console.log(
    [
      `stage_beam N=4, judge scorer, fixed-latency mock backend, median of ${REPEATS} interleaved repeats (ms)`,
      "| backend latency per call | sequential (reference schedule) | concurrent (ours, in memory) | speed-up | Durable Object | durable overhead |",
      "|---|---|---|---|---|---|",
      ...rows,
    ].join("\n"),
  );
});
