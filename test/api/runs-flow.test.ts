/** POST /v1/runs through the real ReasoningRun Durable Object: create, wait, read, replay. */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ScriptedModel, testBackends } from "../../src/inference/mock-model";
import type { RunView } from "../../src/runs/contract";
import { JPEG_8x6_B64 } from "../fixtures/images";
import { authHeaders } from "../helpers/auth";
import { BASE, countRuns, expectError, postRun, validBody } from "./helpers";

interface Accepted {
  id: string;
  object: string;
  status: string;
  model: string;
  seed: number;
  links: { self: string; events: string; cancel: string };
}

const RUN_ID = /^run_[0-9a-f]{64}$/;

describe("POST /v1/runs", () => {
  it("202 with links, Location and the picked seed; the run then succeeds", async () => {
    const before = await countRuns();
    const res = await postRun(validBody({ metadata: { ticket: "T-1" } }));
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as Accepted;
    expect(accepted.id).toMatch(RUN_ID);
    expect(accepted.object).toBe("run");
    expect(accepted.model).toBe("mock:fixed");
    expect(["queued", "running"]).toContain(accepted.status);
    expect(Number.isInteger(accepted.seed) && accepted.seed >= 0 && accepted.seed < 2 ** 32).toBe(true);
    expect(accepted.links).toEqual({
      self: `/v1/runs/${accepted.id}`,
      events: `/v1/runs/${accepted.id}/events`,
      cancel: `/v1/runs/${accepted.id}/cancel`,
    });
    expect(res.headers.get("Location")).toBe(accepted.links.self);
    expect(res.headers.get("X-Request-Id")).toMatch(/^req_[0-9a-f]{32}$/);
    expect(await countRuns()).toBe(before + 1);

    const got = await SELF.fetch(`${BASE}${accepted.links.self}`, { headers: { Prefer: "wait=30", ...authHeaders() } });
    expect(got.status).toBe(200);
    expect(got.headers.get("Preference-Applied")).toBe("wait=30");
    const view = (await got.json()) as RunView;
    expect(view.status).toBe("succeeded");
    expect(view.answer).toBeTruthy();
    expect(view.search).toEqual({ strategy: "stage_beam", candidates: 4, keep: 1, scorer: "judge" });
    expect(view.sampling).toEqual({ temperature: 0.6, top_p: 0.9, max_tokens_per_stage: 512, seed: accepted.seed });
    expect(view.metadata).toEqual({ ticket: "T-1" });
  });

  it("Prefer: wait=N answers 200 with the finished run", async () => {
    const res = await postRun(
      validBody({ sampling: { seed: 42 }, image: { data: JPEG_8x6_B64, media_type: "image/jpeg" } }),
      { Prefer: "wait=30" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("Preference-Applied")).toBe("wait=30");
    const view = (await res.json()) as RunView;
    expect(view.status).toBe("succeeded");
    expect(view.sampling.seed).toBe(42);
    expect(view.id).toMatch(RUN_ID);
  });

  it("runs without an image, and records greedy as one candidate per stage", async () => {
    const res = await postRun(
      { question: "What is 2 + 2?", search: { strategy: "greedy", candidates: 8 } },
      { Prefer: "wait=30" },
    );
    const view = (await res.json()) as RunView;
    expect(res.status).toBe(200);
    expect(view.search).toMatchObject({ strategy: "greedy", candidates: 1, keep: 1 });
  });

  it("passes deadline and per-stage overrides through", async () => {
    const res = await postRun(
      validBody({
        search: { candidates: 3, keep: 2, judge_orders: 2, stages: { CONCLUSION: { scorer: "vote", candidates: 5 } } },
        limits: { deadline_seconds: 60 },
      }),
      { Prefer: "wait=30" },
    );
    const view = (await res.json()) as RunView;
    expect(view.search).toEqual({
      strategy: "stage_beam",
      candidates: 3,
      keep: 2,
      scorer: "judge",
      judge_orders: 2,
      stages: { CONCLUSION: { scorer: "vote", candidates: 5 } },
    });
  });
});

describe("capabilities", () => {
  testBackends.set(
    "mock:api-plain",
    new ScriptedModel({ id: "mock:api-plain", respond: () => "x", capabilities: { logprobs: false } }),
  );
  testBackends.set(
    "mock:api-blind",
    new ScriptedModel({ id: "mock:api-blind", respond: () => "x", capabilities: { vision: false } }),
  );

  it("scorer logprob needs a model reporting logprobs", async () => {
    const before = await countRuns();
    await expectError(
      await postRun(validBody({ model: "mock:api-plain", search: { scorer: "logprob" } })),
      400,
      /scorer "logprob" needs a model that reports logprobs; "mock:api-plain" does not \(capabilities\.logprobs is false\)/,
      {
        param: "search.scorer",
      },
    );
    await expectError(
      await postRun(validBody({ model: "mock:api-plain", search: { stages: { CAPTION: { scorer: "logprob" } } } })),
      400,
      /capabilities\.logprobs/,
      {
        param: "search.stages.CAPTION.scorer",
      },
    );
    expect(await countRuns()).toBe(before);
  });

  it("an image needs a vision model", async () => {
    await expectError(
      await postRun(validBody({ model: "mock:api-blind" })),
      400,
      /cannot read images \(capabilities\.vision is false\)/,
      { param: "image" },
    );
  });
});

describe("Idempotency-Key", () => {
  it("same key and same body → the same run, created once", async () => {
    const before = await countRuns();
    const key = `idem-${crypto.randomUUID()}`;
    const first = await postRun({ question: "Same?", search: { candidates: 2 } }, { "Idempotency-Key": key });
    expect(first.status).toBe(202);
    const a = (await first.json()) as Accepted;
    // Key order and whitespace do not matter: the body is compared in canonical form.
    const again = await postRun('{ "search": {"candidates": 2}, "question": "Same?" }', {
      "Idempotency-Key": key,
      Prefer: "wait=30",
    });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    const b = (await again.json()) as RunView;
    expect(b.id).toBe(a.id);
    expect(b.sampling.seed).toBe(a.seed);
    expect(await countRuns()).toBe(before + 1);

    // Once finished, a replay answers the finished run.
    const late = await postRun({ question: "Same?", search: { candidates: 2 } }, { "Idempotency-Key": key });
    expect(late.status).toBe(200);
    expect(((await late.json()) as RunView).status).toBe("succeeded");
  });

  it("same key and a different body → 409", async () => {
    const key = `idem-${crypto.randomUUID()}`;
    expect((await postRun({ question: "One" }, { "Idempotency-Key": key })).status).toBe(202);
    const before = await countRuns();
    await expectError(
      await postRun({ question: "Two" }, { "Idempotency-Key": key }),
      409,
      /already used with a different request body/,
      {
        type: "idempotency_error",
        code: "idempotency_conflict",
        param: "Idempotency-Key",
      },
    );
    expect(await countRuns()).toBe(before);
  });

  it("a different key is a different run", async () => {
    const body = { question: "Twins?" };
    const a = (await (await postRun(body, { "Idempotency-Key": `a-${crypto.randomUUID()}` })).json()) as Accepted;
    const b = (await (await postRun(body, { "Idempotency-Key": `b-${crypto.randomUUID()}` })).json()) as Accepted;
    expect(a.id).not.toBe(b.id);
  });
});
