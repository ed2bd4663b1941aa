/**
 * The `openai` backend on recorded responses (test/fixtures/openai/*.json: status, headers, body),
 * served by an injected `fetch`: parsing of n / stop / logprobs / usage, and every error mapped to
 * the right retryable or non-retryable BackendError.
 */
import { describe, expect, it } from "vitest";
import { BackendError } from "../../src/inference/backend";
import { OpenAiBackend, type OpenAiConfig } from "../../src/inference/openai";
import chatN4 from "../fixtures/openai/chat-n4-stop-logprobs.json";
import chatNoUsage from "../fixtures/openai/chat-no-usage.json";
import completions from "../fixtures/openai/completions-logprobs.json";
import error400n from "../fixtures/openai/error-400-n.json";
import error400 from "../fixtures/openai/error-400.json";
import error401 from "../fixtures/openai/error-401.json";
import error404 from "../fixtures/openai/error-404-model.json";
import error429date from "../fixtures/openai/error-429-date.json";
import error429 from "../fixtures/openai/error-429-seconds.json";
import error500 from "../fixtures/openai/error-500.json";
import error503 from "../fixtures/openai/error-503-html.json";
import malformedNoChoices from "../fixtures/openai/malformed-no-choices.json";
import malformed from "../fixtures/openai/malformed.json";
import sglangN2 from "../fixtures/openai/sglang-chat-n2-top-logprobs.json";
import tgiNIgnored from "../fixtures/openai/tgi-chat-n-ignored.json";
import { request } from "./helpers";

interface Fixture {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

interface Sent {
  url: string;
  init: RequestInit;
  body: Record<string, unknown>;
}

function replay(...fixtures: Fixture[]): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    sent.push({
      url: String(input),
      init: init ?? {},
      body: JSON.parse(String(init?.body)) as Record<string, unknown>,
    });
    const f = fixtures[Math.min(sent.length - 1, fixtures.length - 1)] as Fixture;
    return new Response(typeof f.body === "string" ? f.body : JSON.stringify(f.body), {
      status: f.status,
      headers: f.headers,
    });
  }) as typeof fetch;
  return { fetch: fetcher, sent };
}

const backend = (f: typeof fetch, extra: Partial<OpenAiConfig> = {}) =>
  new OpenAiBackend({
    baseUrl: "https://gpu.example.com/v1",
    apiKey: "sk-test",
    model: "llava-cot",
    fetch: f,
    ...extra,
  });

async function failure(fixture: Fixture, extra: Partial<OpenAiConfig> = {}): Promise<BackendError> {
  const err = await backend(replay(fixture).fetch, extra)
    .generate(request())
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BackendError);
  return err as BackendError;
}

describe("openai fixtures: results", () => {
  it("n=4 with stop and logprobs: choices in index order, mean logprob, finish reasons, usage", async () => {
    const { fetch, sent } = replay(chatN4);
    const r = await backend(fetch).generate(
      request({
        n: 4,
        seeds: [5, 6, 7, 8],
        stop: ["</CAPTION>"],
        logprobs: true,
        prompt: { user: "q", assistant_prefix: "<SUMMARY>s</SUMMARY>\n<CAPTION>", with_image: false },
      }),
    );
    expect(r.generations.map((g) => g.text)).toEqual([
      "Three red circles and a square.",
      "Three circles, all red.",
      "Two red circles at the top.",
      "A red circle, cut off by the max",
    ]);
    expect(r.generations.map((g) => g.finish_reason)).toEqual(["stop", "stop", "stop", "length"]);
    expect(r.generations[0]?.mean_logprob).toBeCloseTo(-0.2);
    expect(r.generations[1]?.mean_logprob).toBeUndefined();
    expect(r.generations[2]?.mean_logprob).toBeCloseTo(-0.375);
    expect(r.usage).toEqual({ input_tokens: 1611, output_tokens: 29 });
    expect(sent[0]?.url).toBe("https://gpu.example.com/v1/chat/completions");
    expect(sent[0]?.body).toMatchObject({
      model: "llava-cot",
      n: 4,
      seed: 5,
      stop: ["</CAPTION>"],
      logprobs: true,
      continue_final_message: true,
      add_generation_prompt: false,
    });
    expect((sent[0]?.init.headers as Record<string, string>).authorization).toBe("Bearer sk-test");
  });

  it("completions mode: raw prompt, logprobs=1 → token_logprobs", async () => {
    const { fetch, sent } = replay(completions);
    const r = await backend(fetch, { prefill: "completions" }).generate(
      request({
        n: 2,
        seeds: [1, 2],
        logprobs: true,
        prompt: { user: "q", assistant_prefix: "<SUMMARY>", with_image: false },
      }),
    );
    expect(sent[0]?.url).toBe("https://gpu.example.com/v1/completions");
    expect(String(sent[0]?.body.prompt).endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n<SUMMARY>")).toBe(
      true,
    );
    expect(sent[0]?.body.logprobs).toBe(1);
    expect(r.generations.map((g) => g.mean_logprob)).toEqual([expect.closeTo(-0.3), expect.closeTo(-0.9)]);
    expect(r.usage).toEqual({ input_tokens: 40, output_tokens: 9 });
  });

  it("SGLang: n=2 with top_logprobs and matched_stop parse like vLLM's replies", async () => {
    const r = await backend(replay(sglangN2).fetch).generate(
      request({ n: 2, seeds: [3, 4], stop: ["</REASONING>"], logprobs: true }),
    );
    expect(r.generations.map((g) => g.text)).toEqual([
      "Counting them: top left 1, center 2. So there are 2 red circles.",
      "Counting them: top left 1. So there is 1 red circle.",
    ]);
    expect(r.generations[0]?.mean_logprob).toBeCloseTo(-0.2);
    expect(r.usage).toEqual({ input_tokens: 1702, output_tokens: 36 });
  });

  it("TGI ignores n: its one choice is kept, the other seeds get single calls, and the instance remembers", async () => {
    const { fetch, sent } = replay(tgiNIgnored);
    const b = backend(fetch, { model: "Xkev/Llama-3.2V-11B-cot" });
    const r = await b.generate(request({ n: 4, seeds: [1, 2, 3, 4], logprobs: true }));
    expect(r.generations).toHaveLength(4);
    expect(r.generations[0]?.finish_reason).toBe("stop");
    expect(r.generations[0]?.mean_logprob).toBeCloseTo(-0.1);
    expect(r.usage).toEqual({ input_tokens: 4 * 1650, output_tokens: 4 * 14 });
    expect(r.warnings.join()).toMatch(/does not return n > 1 choices/);
    expect(sent.map((s) => [s.body.n, s.body.seed])).toEqual([
      [4, 1],
      [1, 2],
      [1, 3],
      [1, 4],
    ]);
    await b.generate(request({ n: 2, seeds: [7, 8] }));
    expect(sent.slice(4).map((s) => s.body.n)).toEqual([1, 1]);
  });

  it("no usage in the reply → usage figures stay undefined (never 0)", async () => {
    const r = await backend(replay(chatNoUsage).fetch).generate(request());
    expect(r.usage).toEqual({});
    expect(r.generations[0]?.text).toBe("A plan.");
  });

  it("a 400 about n → concurrent single calls, remembered by the instance", async () => {
    const { fetch, sent } = replay(error400n, chatNoUsage);
    const b = backend(fetch);
    const r = await b.generate(request({ n: 3, seeds: [1, 2, 3] }));
    expect(r.generations).toHaveLength(3);
    expect(r.warnings.join()).toMatch(/does not return n > 1 choices/);
    expect(sent.map((s) => [s.body.n, s.body.seed])).toEqual([
      [3, 1],
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(b.refusesN).toBe(true);
    await b.generate(request({ n: 2, seeds: [4, 5] }));
    expect(sent.slice(4).map((s) => s.body.n)).toEqual([1, 1]); // no second n>1 attempt
  });
});

describe("openai fixtures: errors", () => {
  it("400 → non-retryable, with the server's message", async () => {
    const err = await failure(error400);
    expect(err).toMatchObject({ retryable: false, status: 400 });
    expect(err.message).toContain("maximum context length is 8192");
  });

  it("401 → non-retryable, says to check the key", async () => {
    const err = await failure(error401);
    expect(err).toMatchObject({ retryable: false, status: 401 });
    expect(err.message).toMatch(/OPENAI_API_KEY.*Incorrect API key/);
  });

  it("404 (model not served) → non-retryable", async () => {
    const err = await failure(error404);
    expect(err).toMatchObject({ retryable: false, status: 404 });
    expect(err.message).toContain("does not exist");
  });

  it("429 with Retry-After seconds → retryable, retry_after_ms", async () => {
    expect(await failure(error429)).toMatchObject({ retryable: true, status: 429, retry_after_ms: 7000 });
  });

  it("429 with Retry-After as an HTTP-date → retryable, retry_after_ms from the clock", async () => {
    const now = () => Date.parse("Thu, 01 Jan 2026 00:00:00 GMT");
    expect(await failure(error429date, { now })).toMatchObject({
      retryable: true,
      status: 429,
      retry_after_ms: 30_000,
    });
  });

  it("500 and a 503 HTML page → retryable", async () => {
    const e500 = await failure(error500);
    expect(e500).toMatchObject({ retryable: true, status: 500 });
    expect(e500.message).toContain("CUDA out of memory");
    expect(await failure(error503)).toMatchObject({ retryable: true, status: 503 });
  });

  it("a malformed 200 body (truncated, or not a completion) → retryable", async () => {
    const truncated = await failure(malformed);
    expect(truncated.retryable).toBe(true);
    expect(truncated.message).toMatch(/malformed/);
    expect(await failure(malformedNoChoices)).toMatchObject({ retryable: true });
  });

  it("a timeout → retryable; the caller's abort is rethrown as is", async () => {
    const hang = ((_: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
      )) as typeof fetch;
    const timedOut = await backend(hang, { timeoutMs: 20 })
      .generate(request())
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(BackendError);
    expect(timedOut).toMatchObject({ retryable: true, status: 408 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new DOMException("run canceled", "AbortError")), 10);
    const aborted = await backend(hang, { timeoutMs: 5_000 })
      .generate(request({ signal: controller.signal }))
      .catch((e: unknown) => e);
    expect(aborted).not.toBeInstanceOf(BackendError);
    expect(aborted).toMatchObject({ name: "AbortError", message: "run canceled" });
  });

  it("a network failure → retryable", async () => {
    const down = (() => Promise.reject(new TypeError("Network connection lost."))) as typeof fetch;
    expect(
      await backend(down)
        .generate(request())
        .catch((e: unknown) => e),
    ).toMatchObject({ retryable: true });
  });
});
