/**
 * The registry: `backend:model` ids from MODELS, their status (ready / unavailable with what to
 * fix), FALLBACKS chains, and how GET /v1/models and POST /v1/runs surface misconfiguration.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { createApp } from "../../src/app/create-app";
import { modelsRoutes } from "../../src/app/models/routes";
import { newApp } from "../../src/app/openapi";
import { FallbackBackend } from "../../src/inference/fallback";
import { OpenAiBackend } from "../../src/inference/openai";
import { defaultModelId, fallbackChains, getModelInfo, listModels, resolveBackend } from "../../src/inference/registry";
import { WorkersAiBackend } from "../../src/inference/workers-ai";
import { authHeaders } from "../helpers/auth";
import { FakeAi } from "./fake-ai";

const WA = "workers-ai:@cf/meta/llama-3.2-11b-vision-instruct";
const e = (vars: Partial<Env>): Env => ({ ...env, ALLOW_MOCK_BACKENDS: "0", ...vars }) as Env;
const fakeAi = () => new FakeAi({ reply: () => "" }) as unknown as Ai;

describe("registry", () => {
  it("without the AI binding, workers-ai models are unavailable, not a crash", () => {
    const info = getModelInfo(e({ MODELS: WA, AI: undefined }), WA);
    expect(info).toMatchObject({ id: WA, backend: "workers-ai", status: "unavailable" });
    expect(info?.error).toContain('[ai] binding = "AI"');
    expect(() => resolveBackend(e({ MODELS: WA, AI: undefined }), WA)).toThrow(/unavailable.*AI binding/);
  });

  it("the test env's AI binding is wrangler's local stand-in (remote = false): a call is a clear non-retryable error", async () => {
    const backend = resolveBackend(e({ MODELS: WA }), WA);
    const err = await backend
      .generate({
        purpose: "generate",
        prompt: { user: "q", assistant_prefix: "<SUMMARY>", with_image: false },
        n: 1,
        seeds: [1],
        stop: ["</SUMMARY>"],
        max_tokens: 8,
        temperature: 0,
        top_p: 1,
        logprobs: false,
      })
      .catch((x: unknown) => x);
    expect(err).toMatchObject({ retryable: false, status: 503 });
    expect((err as Error).message).toContain("wrangler dev --remote");
  });

  it("the four-stage instruction follows the model: off for a LLaVA-CoT checkpoint, on for a base model, overridable", () => {
    const base = { OPENAI_BASE_URL: "https://gpu.example.com/v1" };
    const cot = getModelInfo(
      e({ MODELS: "openai:Xkev/Llama-3.2V-11B-cot", ...base }),
      "openai:Xkev/Llama-3.2V-11B-cot",
    );
    expect(cot?.format_prompt).toEqual({
      enabled: false,
      reason: expect.stringMatching(/off by default .*four-stage checkpoint/),
    });
    expect(getModelInfo(e({ MODELS: "openai:llava-cot", ...base }), "openai:llava-cot")?.format_prompt?.enabled).toBe(
      false,
    );
    const llama = "openai:meta-llama/Llama-3.2-11B-Vision-Instruct";
    expect(getModelInfo(e({ MODELS: llama, ...base }), llama)?.format_prompt?.enabled).toBe(true);
    const forced = getModelInfo(e({ MODELS: llama, ...base, OPENAI_FORMAT_PROMPT: "0" }), llama);
    expect(forced?.format_prompt).toEqual({ enabled: false, reason: 'OPENAI_FORMAT_PROMPT="0"' });
    expect(getModelInfo(e({ MODELS: WA, AI: fakeAi() }), WA)?.format_prompt).toMatchObject({ enabled: true });
    expect(getModelInfo(e({ MODELS: `${WA}:my-lora`, AI: fakeAi() }), `${WA}:my-lora`)?.format_prompt?.enabled).toBe(
      false,
    );
  });

  it("gives each model the default scorer that measured best for it", () => {
    const models = listModels(e({ MODELS: `embedded:x1-shapes-tiny,${WA},openai:llava-cot` }));
    expect(models.map((m) => [m.id, m.default_scorer])).toEqual([
      ["embedded:x1-shapes-tiny", "logprob"],
      [WA, "judge"],
      ["openai:llava-cot", "judge"],
    ]);
  });

  it("lists every configured model with its status and what to fix", () => {
    const models = listModels(e({ MODELS: `${WA},openai:llava-cot,foo:bar,mock:fixed`, AI: undefined }));
    expect(models.map((m) => [m.id, m.status])).toEqual([
      [WA, "unavailable"],
      ["openai:llava-cot", "unavailable"],
      ["foo:bar", "unavailable"],
      // mock:* is not served without ALLOW_MOCK_BACKENDS=1
    ]);
    expect(models[1]?.error).toMatch(/OPENAI_BASE_URL is not set/);
    expect(models[2]?.error).toMatch(/unknown backend "foo".*workers-ai, openai, mock/);
    expect(defaultModelId(e({ MODELS: `${WA},openai:x` }))).toBe(WA);
  });

  it("builds a ready workers-ai backend: LoRA suffix, format prompt default and override", () => {
    const base = resolveBackend(e({ MODELS: WA, AI: fakeAi() }), WA);
    expect(base).toBeInstanceOf(WorkersAiBackend);
    expect(base.capabilities).toMatchObject({ n: false, logprobs: false, vision: true, prefill: true });
    expect(getModelInfo(e({ MODELS: WA, AI: fakeAi() }), WA)?.description).toContain("four-stage instruction added");
    const lora = `${WA}:x1-cot`;
    expect(getModelInfo(e({ MODELS: lora, AI: fakeAi() }), lora)?.description).not.toContain("four-stage");
    expect(getModelInfo(e({ MODELS: lora, AI: fakeAi(), WORKERS_AI_FORMAT_PROMPT: "1" }), lora)?.description).toContain(
      "four-stage",
    );
    expect(getModelInfo(e({ MODELS: "workers-ai:", AI: fakeAi() }), "workers-ai:")?.status).toBe("unavailable");
  });

  it("builds openai backends from the vars and checks them", () => {
    const ok = e({ MODELS: "openai:llava-cot", OPENAI_BASE_URL: "https://gpu.example.com/v1", OPENAI_API_KEY: "sk" });
    const b = resolveBackend(ok, "openai:llava-cot");
    expect(b).toBeInstanceOf(OpenAiBackend);
    expect(resolveBackend(ok, "openai:llava-cot")).toBe(b); // one instance per configuration: what it learns is kept
    expect(b.capabilities).toMatchObject({ n: true, stop: true, logprobs: true, vision: true });
    expect(resolveBackend({ ...ok, OPENAI_PREFILL: "completions" }, "openai:llava-cot").capabilities.vision).toBe(
      false,
    );
    expect(resolveBackend({ ...ok, OPENAI_LOGPROBS: "0" }, "openai:llava-cot").capabilities.logprobs).toBe(false);
    for (const [vars, error] of [
      [{ OPENAI_BASE_URL: "ftp://x" }, /not an http\(s\) URL/],
      [{ OPENAI_PREFILL: "magic" }, /OPENAI_PREFILL must be one of/],
      [{ OPENAI_TIMEOUT_MS: "soon" }, /OPENAI_TIMEOUT_MS/],
    ] as const) {
      expect(getModelInfo({ ...ok, ...vars }, "openai:llava-cot")).toMatchObject({
        status: "unavailable",
        error: expect.stringMatching(error),
      });
    }
  });

  it("FALLBACKS chains: parsed, capabilities intersected, unusable members reported", () => {
    expect(fallbackChains(e({ FALLBACKS: " a=>b=>c , d => e, lonely" }))).toEqual(
      new Map([
        ["a", ["b", "c"]],
        ["d", ["e"]],
      ]),
    );
    const vars = e({
      MODELS: WA,
      AI: fakeAi(),
      OPENAI_BASE_URL: "https://gpu.example.com/v1",
      FALLBACKS: `${WA}=>openai:llava-cot=>foo:x`,
    });
    const info = getModelInfo(vars, WA);
    expect(info).toMatchObject({
      status: "ready",
      fallbacks: ["openai:llava-cot"],
      fallback_errors: [expect.stringContaining("unknown backend")],
    });
    expect(info?.capabilities).toMatchObject({ n: false, logprobs: false });
    const chain = resolveBackend(vars, WA);
    expect(chain).toBeInstanceOf(FallbackBackend);
    expect(chain.id).toBe(WA);
    expect((chain as FallbackBackend).backends.map((b) => b.id)).toEqual([WA, "openai:llava-cot"]);
  });

  it("an unconfigured id is not served", () => {
    expect(getModelInfo(e({ MODELS: WA, AI: fakeAi() }), "openai:other")).toBeUndefined();
    expect(() => resolveBackend(e({ MODELS: WA }), "openai:other")).toThrow(/not served/);
  });
});

describe("GET /v1/models and POST /v1/runs with a misconfigured model", () => {
  const vars = e({ MODELS: `openai:llava-cot,${WA}`, ALLOW_MOCK_BACKENDS: "1", AI: undefined });

  it("/v1/models lists configured models with status and error (OpenAI list shape)", async () => {
    const models = newApp();
    modelsRoutes(models);
    const res = await models.request("/v1/models", {}, vars);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      object: string;
      data: { id: string; object: string; status: string; error?: string }[];
    };
    expect(body.object).toBe("list");
    expect(body.data.map((m) => [m.id, m.object, m.status])).toEqual([
      ["openai:llava-cot", "model", "unavailable"],
      [WA, "model", "unavailable"],
    ]);
    expect(body.data[0]?.error).toContain("OPENAI_BASE_URL");
  });

  it("a run naming an unavailable model gets a 503 that says what to fix, and nothing is created", async () => {
    const res = await createApp().request(
      "/v1/runs",
      {
        method: "POST",
        headers: { "content-type": "application/json", ...authHeaders() },
        body: JSON.stringify({ question: "How many?", model: "openai:llava-cot" }),
      },
      vars,
    );
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string; param: string } };
    expect(body.error).toMatchObject({ code: "model_unavailable", param: "model" });
    expect(body.error.message).toContain("OPENAI_BASE_URL is not set");
  });
});
