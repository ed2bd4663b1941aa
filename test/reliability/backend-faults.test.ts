/**
 * Backend faults, through the HTTP API and the real Durable Object: scripted backends (registered
 * in `testBackends`) that fail with 5xx, 429 + Retry-After, timeouts, non-retryable errors, answer
 * garbage or untagged text, hang until aborted, or — on the Workers AI adapter — stream replies that
 * break off. Every run must end as docs/architecture.md says — retried and `succeeded`, or `failed` with
 * `retries_exhausted` / `backend_rejected` / `deadline_exceeded` and a message naming the step and
 * the cause — with its trace kept, within its deadline, and the API never answers a 5xx (chat
 * completions map a failed run to the documented 502 / 504).
 *
 * The property test draws a fault script (which step fails how many times, and how) with
 * fast-check and checks the outcome against the calls the backend actually received.
 */
import { SELF } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { BackendError, type GenerateOptions, type GenerateResult } from "../../src/inference/backend";
import { ScriptedModel, testBackends } from "../../src/inference/mock-model";
import { WorkersAiBackend } from "../../src/inference/workers-ai";
import type { RunView } from "../../src/runs/contract";
import { PNG_8x6_B64 } from "../fixtures/images";
import { authHeaders } from "../helpers/auth";
import { deterministicRespond, stageOf } from "../helpers/runs";
import { FakeAi } from "../inference/fake-ai";
import { parseSseText } from "./sse";

const BASE = "https://api.test";
const viteEnv = (import.meta as unknown as { env?: Record<string, string | undefined> }).env ?? {};
/** VITE_RELIABILITY_SEED replays a seed; VITE_RELIABILITY_SCALE multiplies the number of fault scripts. */
const SEED = Number(viteEnv.VITE_RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SCALE = Number(viteEnv.VITE_RELIABILITY_SCALE ?? 1);
const counts = { cases: 0, succeeded: 0, failed: 0, failures: 0, calls: 0, injected: 0 };
const byCode: Record<string, number> = {};

afterAll(() => {
  console.log(
    `backend faults: ${counts.cases} runs, ${counts.failures} failures; ${counts.succeeded} succeeded, ${counts.failed} failed cleanly ` +
      `(${Object.entries(byCode)
        .map(([c, n]) => `${c}×${n}`)
        .join(" ")}); ${counts.calls} backend calls, ${counts.injected} faults injected (fast-check seed ${SEED})`,
  );
});

type Fault =
  | { kind: "ok" }
  | { kind: "5xx" | "timeout"; times: number }
  | { kind: "429"; times: number; retryAfterMs: number }
  | { kind: "reject"; status: 400 | 401 | 403 }
  | { kind: "garbage"; texts: string[] };

interface Call {
  key: string;
  at: number;
  outcome: string;
}

const garbageText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    "",
    " ",
    "\n\n",
    "<SUMMARY>",
    "</SUMMARY>",
    "<CAPTION>x</SUMMARY>",
    "<CONCLUSION></CONCLUSION>",
    "VERDICT: 3",
    "VERDICT:",
    "CHECK: MAYBE",
    "<<<>>>",
    "</REASONING></REASONING>",
  ),
  fc.integer({ min: 1, max: 20_000 }).map((n) => "z".repeat(n)),
);
const fault: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "ok" } as Fault) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 4 }).map((times) => ({ kind: "5xx", times }) as Fault) },
  {
    weight: 2,
    arbitrary: fc
      .record({ times: fc.integer({ min: 1, max: 4 }), retryAfterMs: fc.integer({ min: 10, max: 120 }) })
      .map((r) => ({ kind: "429", ...r }) as Fault),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map((times) => ({ kind: "timeout", times }) as Fault) },
  { weight: 1, arbitrary: fc.constantFrom(400, 401, 403).map((status) => ({ kind: "reject", status }) as Fault) },
  {
    weight: 2,
    arbitrary: fc
      .array(garbageText, { minLength: 1, maxLength: 4 })
      .map((texts) => ({ kind: "garbage", texts }) as Fault),
  },
);

/** The identity of a step's call: a retry of the same step has the same purpose and seeds. */
const keyOf = (o: GenerateOptions): string => `${o.purpose}:${stageOf(o)}:${o.seeds.join(",")}`;

function timeoutError(): Error {
  const err = new Error("the operation was aborted due to timeout");
  err.name = "TimeoutError";
  return err;
}

/** A backend that plays `script`: the i-th distinct step it sees gets script[i] (then `ok`). */
function faultyBackend(id: string, script: Fault[]) {
  const assigned = new Map<string, Fault>();
  const failuresSoFar = new Map<string, number>();
  const calls: Call[] = [];
  const model = new ScriptedModel({
    id,
    // One step per call (no batching of candidates), so that a fault belongs to exactly one step.
    capabilities: { n: false },
    respond: (o: GenerateOptions): GenerateResult => {
      const key = keyOf(o);
      let f = assigned.get(key);
      if (!f) {
        f = script[assigned.size] ?? { kind: "ok" };
        assigned.set(key, f);
      }
      const failed = failuresSoFar.get(key) ?? 0;
      const record = (outcome: string) => calls.push({ key, at: Date.now(), outcome });
      if ((f.kind === "5xx" || f.kind === "429" || f.kind === "timeout") && failed < f.times) {
        failuresSoFar.set(key, failed + 1);
        record(f.kind);
        if (f.kind === "5xx") throw new BackendError(`scripted upstream error (HTTP 503) #${failed + 1}`, true, 503);
        if (f.kind === "429")
          throw new BackendError(`scripted rate limit (HTTP 429) #${failed + 1}`, true, 429, f.retryAfterMs);
        throw timeoutError();
      }
      if (f.kind === "reject") {
        record("reject");
        throw new BackendError(`scripted rejection (HTTP ${f.status})`, false, f.status);
      }
      record(f.kind === "garbage" ? "garbage" : "ok");
      if (f.kind === "garbage") {
        const texts = o.seeds.map((_, i) => f.texts[i % f.texts.length] ?? "");
        return { generations: texts.map((text) => ({ text, finish_reason: "stop" })), usage: {}, warnings: [] };
      }
      return deterministicRespond(o);
    },
  });
  testBackends.set(id, model);
  return { calls, assigned };
}

async function postRun(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}/v1/runs`, {
    method: "POST",
    headers: { ...authHeaders(), "content-type": "application/json", ...headers },
    body: JSON.stringify({
      question: "How many red circles are there?",
      image: { data: PNG_8x6_B64, media_type: "image/png" },
      ...body,
    }),
  });
}

/** Create a run, wait for its end (through the API only), and check what every run must satisfy. */
async function runToEnd(
  body: Record<string, unknown>,
  maxMs = 30_000,
): Promise<{ view: RunView; events: ReturnType<typeof parseSseText> }> {
  const res = await postRun(body, { prefer: "wait=30" });
  const text = await res.text();
  expect(res.status, text).toBeLessThan(300);
  let view = JSON.parse(text) as RunView;
  const until = Date.now() + maxMs;
  while (view.status === "queued" || view.status === "running") {
    const r = await SELF.fetch(`${BASE}/v1/runs/${view.id}`, { headers: { ...authHeaders(), prefer: "wait=5" } });
    expect(r.status).toBe(200);
    view = (await r.json()) as RunView;
    if (Date.now() > until) throw new Error(`run ${view.id} still ${view.status} after ${maxMs} ms`);
  }
  const ev = await SELF.fetch(`${BASE}/v1/runs/${view.id}/events`, { headers: authHeaders() });
  expect(ev.status).toBe(200);
  const events = parseSseText(await ev.text());
  // The trace is kept whatever the end: every committed step is in it, and its event was sent.
  const stepEvents = events.filter((e) =>
    ["candidate.generated", "judge.decided", "selfcheck.decided"].includes(e.event),
  );
  const traced = view.trace.stages.flatMap((s) => [
    ...s.candidates.map((c) => c.id),
    ...s.matches.filter((m) => m.status === "decided").map((m) => m.step),
    ...s.selfchecks.filter((c) => c.raw !== undefined).map((c) => c.step),
  ]);
  // A succeeded run has nothing pending in its trace; a failed one may (the steps it never reached).
  if (view.status === "succeeded") {
    expect(view.trace.stages.flatMap((s) => s.selfchecks).every((c) => c.raw !== undefined)).toBe(true);
    expect(view.trace.stages.flatMap((s) => s.matches).every((m) => m.status === "decided")).toBe(true);
  }
  expect(
    stepEvents.map((e) => String(e.data.step)).sort(),
    JSON.stringify({
      status: view.status,
      error: view.error,
      stages: view.trace.stages.map((st) => ({
        s: st.stage,
        c: st.candidates.map((c) => [c.id, c.merged_into]),
        m: st.matches.map((m) => [m.step, m.status, m.decided_by]),
        k: st.selfchecks.map((k) => k.step),
      })),
    }),
  ).toEqual([...traced].sort());
  expect(new Set(traced).size).toBe(traced.length);
  const terminal = events.at(-1);
  expect(terminal?.event).toBe(`run.${view.status}`);
  if (view.status === "failed") expect(terminal?.data.error).toEqual(view.error);
  counts.cases += 1;
  if (view.status === "succeeded") counts.succeeded += 1;
  else {
    counts.failed += 1;
    byCode[view.error?.code ?? "?"] = (byCode[view.error?.code ?? "?"] ?? 0) + 1;
  }
  return { view, events };
}

/** Wrap a property so that a failed case is counted before fast-check shrinks it. */
function counted<T extends unknown[]>(fn: (...args: T) => Promise<void>): (...args: T) => Promise<void> {
  return async (...args: T) => {
    try {
      await fn(...args);
    } catch (err) {
      counts.failures += 1;
      throw err;
    }
  };
}

describe("backend faults", { timeout: 120_000 }, () => {
  it("scripted faults per step (5xx, 429 + Retry-After, timeouts, rejections, garbage): retried or failed as designed", async () => {
    let n = 0;
    const MAX_ATTEMPTS = 4;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fault, { minLength: 1, maxLength: 14 }),
        fc.constantFrom(
          { strategy: "greedy" },
          { strategy: "stage_beam", candidates: 2 },
          { strategy: "stage_beam", candidates: 3 },
          { strategy: "best_of_n", candidates: 3 },
        ),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        counted(async (script, search, seed) => {
          const id = `mock:faults-${++n}`;
          const { calls, assigned } = faultyBackend(id, script);
          const { view } = await runToEnd({ model: id, search, sampling: { seed } });
          counts.calls += calls.length;
          counts.injected += calls.filter((c) => c.outcome !== "ok").length;
          const byKey = new Map<string, Call[]>();
          for (const c of calls) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
          // No step is tried more than the retry limit; a step that answered is not called again.
          for (const [key, cs] of byKey) {
            expect(cs.length, key).toBeLessThanOrEqual(MAX_ATTEMPTS);
            const answered = cs.findIndex((c) => c.outcome === "ok" || c.outcome === "garbage");
            if (answered >= 0) expect(answered, `${key}: called again after it answered`).toBe(cs.length - 1);
            // Retry-After is a floor on the wait before the next attempt.
            const f = assigned.get(key);
            if (f?.kind === "429") {
              for (let i = 1; i < cs.length; i++)
                expect(cs[i]!.at - cs[i - 1]!.at, `${key}: Retry-After ${f.retryAfterMs} ms`).toBeGreaterThanOrEqual(
                  f.retryAfterMs - 1,
                );
            }
          }
          const doomed = [...byKey].filter(([key, cs]) => {
            const f = assigned.get(key);
            return (
              f?.kind === "reject" ||
              ((f?.kind === "5xx" || f?.kind === "429" || f?.kind === "timeout") &&
                f.times >= MAX_ATTEMPTS &&
                cs.length === MAX_ATTEMPTS)
            );
          });
          if (view.status === "succeeded") {
            expect(doomed.map(([k]) => k)).toEqual([]);
            // Every step with k < 4 failures was called exactly k + 1 times.
            for (const [key, cs] of byKey) {
              const f = assigned.get(key);
              const times = f && "times" in f ? f.times : 0;
              expect(cs.length, key).toBe(times + 1);
            }
            expect(view.answer).not.toBeNull();
          } else {
            expect(view.status).toBe("failed");
            expect(doomed.length, JSON.stringify(view.error)).toBeGreaterThan(0);
            const code = view.error?.code;
            expect(["retries_exhausted", "backend_rejected"]).toContain(code);
            expect(view.error?.type).toBe("backend_error");
            expect(view.error?.message).toMatch(/step \S+\/(gen|match|check)\/\S+ failed/);
            if (code === "backend_rejected") {
              expect(doomed.some(([k]) => assigned.get(k)?.kind === "reject")).toBe(true);
              expect(view.error?.message).toContain("scripted rejection");
            } else {
              expect(view.error?.message).toContain(`failed ${MAX_ATTEMPTS} times`);
              expect(view.error?.message).toMatch(/scripted (upstream error|rate limit)|timeout/);
            }
            expect(view.answer).toBeNull();
          }
          // Garbage answers are repaired or ranked last, never a crash: invalid candidates are marked with why.
          for (const c of view.trace.stages.flatMap((s) => s.candidates))
            if (!c.valid) expect(c.issues.length + c.repairs.length).toBeGreaterThan(0);
        }),
      ),
      { numRuns: Math.round(40 * SCALE), seed: SEED, endOnFailure: true },
    );
  });

  it("a backend that never answers: the run fails at its deadline, with its calls aborted and its trace kept", async () => {
    let aborted = 0;
    let answered = 0;
    testBackends.set(
      "mock:hangs",
      new ScriptedModel({
        id: "mock:hangs",
        respond: (o) => {
          // SUMMARY answers; everything after hangs until the executor aborts it.
          if (stageOf(o) === "SUMMARY") {
            answered += 1;
            return deterministicRespond(o);
          }
          return new Promise<GenerateResult>((_, reject) => {
            o.signal?.addEventListener("abort", () => {
              aborted += 1;
              reject(o.signal?.reason instanceof Error ? o.signal.reason : new Error("aborted"));
            });
          });
        },
      }),
    );
    const started = Date.now();
    const { view } = await runToEnd({
      model: "mock:hangs",
      search: { strategy: "greedy" },
      limits: { deadline_seconds: 2 },
    });
    const took = Date.parse(view.timings.finished_at ?? "") - Date.parse(view.timings.created_at);
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("deadline_exceeded");
    expect(view.error?.message).toContain("deadline");
    expect(took).toBeGreaterThanOrEqual(2_000);
    expect(took).toBeLessThan(4_000); // ended at its deadline, not at the 120 s call timeout
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(aborted).toBeGreaterThan(0);
    expect(answered).toBe(1);
    expect(view.trace.stages[0]?.candidates).toHaveLength(1); // SUMMARY, kept
    expect(view.progress.steps_done).toBe(2); // SUMMARY gen + select
  });

  it("a backend that ignores the abort signal and never settles: the run still ends at its deadline", async () => {
    testBackends.set(
      "mock:deaf",
      new ScriptedModel({
        id: "mock:deaf",
        // SUMMARY answers; every later call returns a promise that never settles, abort or not.
        respond: (o) =>
          stageOf(o) === "SUMMARY" ? deterministicRespond(o) : new Promise<GenerateResult>(() => undefined),
      }),
    );
    const { view } = await runToEnd({
      model: "mock:deaf",
      search: { strategy: "greedy" },
      limits: { deadline_seconds: 2 },
    });
    const took = Date.parse(view.timings.finished_at ?? "") - Date.parse(view.timings.created_at);
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("deadline_exceeded");
    expect(took).toBeLessThan(4_000);
    expect(view.trace.stages[0]?.candidates).toHaveLength(1);
  });

  it("workers-ai streams that break off (an error mid-stream, a cut event, an end before [DONE]) are retried, never kept as a fragment", async () => {
    const cases = [
      { name: "error mid-stream", cut: "error" },
      { name: "cut inside an event", cut: "partial-event" },
      { name: "ends early without [DONE]", cut: "end" },
    ] as const;
    // Before the fix, a stream that ended before [DONE] was kept: its fragment ("summar") became a valid candidate.
    for (const c of cases) {
      const fake = new FakeAi({ reply: llamaReply, tokenChars: 3 });
      let broken = 0;
      const calls = new Map<string, number>();
      const ai = {
        async run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown> {
          const out = await fake.run(model, inputs, options);
          const key = `${String(inputs.seed)}:${String(inputs.prompt).length}`;
          const nth = (calls.get(key) ?? 0) + 1;
          calls.set(key, nth);
          // The first attempt of every generation call breaks off; judge and check calls do not.
          const generation = !String(inputs.prompt).includes("VERDICT") && !String(inputs.prompt).includes("CHECK:");
          if (!(out instanceof ReadableStream) || nth > 1 || !generation) return out;
          broken += 1;
          return breakOff(out as ReadableStream<Uint8Array>, c.cut);
        },
      };
      const id = `mock:wai-${c.cut}`;
      testBackends.set(
        id,
        new WorkersAiBackend({ ai, model: "@cf/meta/llama-3.2-11b-vision-instruct", formatPrompt: true, id }),
      );
      const { view } = await runToEnd({ model: id, search: { strategy: "stage_beam", candidates: 2 } });
      expect(broken, c.name).toBeGreaterThan(0);
      expect(view.status, `${c.name}: ${JSON.stringify(view.error)}`).toBe("succeeded");
      const candidates = view.trace.stages.flatMap((s) => s.candidates);
      const retried = [...calls.values()].filter((k) => k > 1).length;
      expect(retried, c.name).toBe(broken); // each broken call was made again, once
      expect(
        candidates.every((x) => x.text.length > 8),
        c.name,
      ).toBe(true); // whole texts, not the cut-off part
      counts.injected += broken;
    }
  });

  it("chat completions map a failed run to the documented status, never a bare 5xx", async () => {
    testBackends.set(
      "mock:down",
      new ScriptedModel({
        id: "mock:down",
        respond: () => {
          throw new BackendError("scripted upstream error (HTTP 502)", true, 502);
        },
      }),
    );
    testBackends.set(
      "mock:denied",
      new ScriptedModel({
        id: "mock:denied",
        respond: () => {
          throw new BackendError("scripted rejection (HTTP 401)", false, 401);
        },
      }),
    );
    for (const [model, code] of [
      ["mock:down", "retries_exhausted"],
      ["mock:denied", "backend_rejected"],
    ] as const) {
      const res = await SELF.fetch(`${BASE}/v1/chat/completions`, {
        method: "POST",
        headers: { ...authHeaders(), "content-type": "application/json" },
        body: JSON.stringify({
          model,
          messages: [{ role: "user", content: "How many?" }],
          search: { strategy: "greedy" },
        }),
      });
      const body = (await res.json()) as { error: { type: string; code: string; message: string; run_id: string } };
      expect(res.status).toBe(502);
      expect(body.error.code).toBe(code);
      expect(body.error.run_id).toBe(res.headers.get("x-run-id"));
      const view = (await (
        await SELF.fetch(`${BASE}/v1/runs/${body.error.run_id}`, { headers: authHeaders() })
      ).json()) as RunView;
      expect(view.status).toBe("failed");
      expect(view.error?.code).toBe(code);
      counts.cases += 1;
      counts.failed += 1;
      byCode[code] = (byCode[code] ?? 0) + 1;
    }
  });
});

/** The fake Llama's reply: the stage it continues (and more past the closing tag), or a verdict. */
function llamaReply(inputs: Record<string, unknown>): string {
  const prompt = String(inputs.prompt);
  const seed = Number(inputs.seed);
  if (prompt.includes("VERDICT")) return `Response ${(seed % 2) + 1} is better.\nVERDICT: ${(seed % 2) + 1}`;
  if (prompt.includes("CHECK: CORRECT")) return "CHECK: CORRECT";
  const assistant = prompt.slice(prompt.lastIndexOf("<|end_header_id|>"));
  const stage = [...assistant.matchAll(/<(SUMMARY|CAPTION|REASONING|CONCLUSION)>/g)].at(-1)?.[1] ?? "SUMMARY";
  return `${stage.toLowerCase()} text from seed ${seed}, long enough to be cut</${stage}>\n<NEXT>never streamed</NEXT>`;
}

/** Pass the first two events of a Workers AI SSE stream through, then break off as `how` says. */
function breakOff(
  stream: ReadableStream<Uint8Array>,
  how: "error" | "partial-event" | "end",
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let events = 0;
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (events >= 2) {
        await reader.cancel();
        if (how === "error") controller.error(new Error("network connection lost"));
        else {
          if (how === "partial-event") controller.enqueue(enc.encode('data: {"response":"tru'));
          controller.close();
        }
        return;
      }
      const { done, value } = await reader.read();
      if (done) return controller.close();
      events += 1;
      controller.enqueue(value);
    },
  });
}
