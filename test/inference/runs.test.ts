/**
 * Full `stage_beam` runs (N = 4, judge scorer, with an image) through the real ReasoningRun
 * Durable Object on each GPU backend, built by the registry from env-style configuration:
 * - `workers-ai` on the fake AI binding (schema-checked, streamed SSE);
 * - `openai` over real HTTP to the loopback OpenAI-compatible server;
 * - a FALLBACKS chain workers-ai → openai whose first backend is out of capacity.
 * The object resolves models through the registry, which serves backends registered in
 * `testBackends` (ALLOW_MOCK_BACKENDS=1 in the test env), so each test registers what the registry
 * built from its configuration under the model id.
 */
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { Env } from "../../src/env";
import { testBackends } from "../../src/inference/mock-model";
import { getModelInfo, resolveBackend } from "../../src/inference/registry";
import type { CreateRunInput, RunView } from "../../src/runs/contract";
import { fromBase64, PNG_8x6_B64 } from "../fixtures/images";
import { makeSpec, newRun, waitTerminal } from "../helpers/runs";
import { FakeAi } from "./fake-ai";
import { stageOfPrefix } from "./helpers";

const upstream = inject("openaiUpstream");
const WA = "workers-ai:@cf/meta/llama-3.2-11b-vision-instruct";
const OA = "openai:llava-cot";
const PNG = fromBase64(PNG_8x6_B64);

/** The fake Llama: judge and self-check replies, or the stage it is asked to continue — and more past its closing tag. */
function llamaReply(inputs: Record<string, unknown>): string {
  const prompt = String(inputs.prompt);
  const seed = Number(inputs.seed);
  if (prompt.includes("VERDICT"))
    return `Response ${(seed % 2) + 1} reads the image more carefully.\nVERDICT: ${(seed % 2) + 1}`;
  if (prompt.includes("CHECK: CORRECT")) return seed % 5 === 0 ? "CHECK: INCORRECT" : "CHECK: CORRECT";
  const assistant = prompt.slice(prompt.lastIndexOf("<|end_header_id|>"));
  const stage = stageOfPrefix(assistant) ?? "SUMMARY";
  const body =
    stage === "CONCLUSION" ? `There are ${seed % 4} red circles.` : `${stage.toLowerCase()} by llama ${seed}`;
  return `${body}</${stage}>\n<NEXT>tokens that must never be streamed or paid for</NEXT>`;
}

function testEnv(vars: Partial<Env>): Env {
  // ALLOW_MOCK_BACKENDS off: the registry builds real backends from the vars, not test registrations.
  return { ...env, ALLOW_MOCK_BACKENDS: "0", ...vars } as Env;
}

async function run(model: string): Promise<RunView> {
  const r = newRun(model, { ...makeSpec({ candidates: 4, scorer: "judge" }, 42), has_image: true });
  const input: CreateRunInput = { ...r.input, image: { bytes: PNG, media_type: "image/png" } };
  await r.stub.create(input);
  return waitTerminal(r.stub, 25_000);
}

function expectFourStages(view: RunView): void {
  expect(view.status).toBe("succeeded");
  for (const stage of ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"]) {
    expect((view.stages as Record<string, string>)[stage]?.length ?? 0).toBeGreaterThan(0);
  }
  expect(view.text).toMatch(
    /<SUMMARY>[\s\S]+<\/SUMMARY>\s*<CAPTION>[\s\S]+<\/CAPTION>\s*<REASONING>[\s\S]+<\/REASONING>\s*<CONCLUSION>[\s\S]+<\/CONCLUSION>/,
  );
  expect(view.text).not.toContain("must never be streamed");
}

describe("stage_beam on the GPU backends, through the Durable Object", () => {
  it("workers-ai: four stages; every stream cut at its closing tag; the image reached the binding", async () => {
    const ai = new FakeAi({ reply: llamaReply, tokenChars: 6 });
    const e = testEnv({ MODELS: WA, AI: ai as unknown as Ai });
    expect(getModelInfo(e, WA)?.status).toBe("ready");
    testBackends.set(WA, resolveBackend(e, WA));
    const view = await run(WA);
    expectFourStages(view);
    const generations = ai.calls.filter(
      (c) => !String(c.inputs.prompt).includes("VERDICT") && !String(c.inputs.prompt).includes("CHECK: CORRECT"),
    );
    expect(generations).toHaveLength(16); // 4 candidates × 4 stages, one call each
    expect(generations.every((c) => c.cancelled && c.read < c.available)).toBe(true);
    expect(generations.every((c) => JSON.stringify(c.inputs.image) === JSON.stringify(Array.from(PNG)))).toBe(true);
    expect(view.usage.estimated).toBe(true);
    // no fallback chain: no step is annotated with another backend
    expect(
      view.trace.stages.flatMap((s) => s.candidates).every((c) => c.backend === undefined && c.fallback === undefined),
    ).toBe(true);
  });

  it("openai over HTTP: four stages, n=4 in one request per stage", async () => {
    const e = testEnv({ MODELS: OA, OPENAI_BASE_URL: `${upstream}/run-openai/v1`, OPENAI_API_KEY: "sk-upstream-test" });
    testBackends.set(OA, resolveBackend(e, OA));
    const view = await run(OA);
    expectFourStages(view);
    const sent = (await (await fetch(`${upstream}/run-openai/log`)).json()) as {
      body: { n: number; messages: { content: unknown }[] };
    }[];
    expect(sent.filter((s) => s.body.n === 4)).toHaveLength(4);
    expect(view.usage.estimated).toBe(false);
    expect(view.usage.input_tokens).toBeGreaterThan(0);
  });

  it("a fallback chain: workers-ai out of capacity → openai serves, and the trace says so", async () => {
    let capacityErrors = 0;
    const ai = new FakeAi({
      reply: (inputs, i) => {
        // the first five calls find no capacity; later calls are served by Workers AI again
        if (i < 5) {
          capacityErrors += 1;
          throw new Error("AiError: 3040: Capacity temporarily exceeded, please try again.");
        }
        return llamaReply(inputs);
      },
    });
    const e = testEnv({
      MODELS: WA,
      AI: ai as unknown as Ai,
      OPENAI_BASE_URL: `${upstream}/run-fallback/v1`,
      FALLBACKS: `${WA}=>${OA}`,
    });
    const info = getModelInfo(e, WA);
    expect(info).toMatchObject({ status: "ready", fallbacks: [OA] });
    testBackends.set(WA, resolveBackend(e, WA));
    const view = await run(WA);
    expectFourStages(view);
    expect(capacityErrors).toBe(5);
    const steps = view.trace.stages.flatMap((s) => [...s.candidates, ...s.matches, ...s.selfchecks]);
    const fellBack = steps.filter((s) => s.fallback);
    expect(fellBack).toHaveLength(5);
    for (const s of fellBack) {
      expect(s.backend).toBe(OA);
      expect(s.fallback).toEqual([
        expect.objectContaining({
          backend: WA,
          retryable: true,
          status: 429,
          error: expect.stringContaining("out of capacity"),
        }),
      ]);
    }
    // the other calls were served by Workers AI itself: not annotated
    expect(steps.filter((s) => !s.fallback).every((s) => s.backend === undefined)).toBe(true);
    expect(ai.calls.length).toBeGreaterThan(5);
  });
});
