/**
 * The `openai` backend over real HTTP: the Worker's own `fetch` to an OpenAI-compatible server on
 * loopback (test/inference/openai-upstream.ts, started in Node by vitest's global setup — the same
 * way the webhook tests reach their receiver). Each test uses its own path tag, so its requests can
 * be read back from the server's log.
 */
import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import { BackendError } from "../../src/inference/backend";
import { OpenAiBackend, type OpenAiConfig } from "../../src/inference/openai";
import { PNG_BYTES, request } from "./helpers";

const upstream = inject("openaiUpstream");

interface Logged {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  inflight: number;
}

const tagged = (tag: string, modes: string[] = []) => `${upstream}/${tag}/${[...modes, "v1"].join("/")}`;
const log = async (tag: string): Promise<Logged[]> =>
  (await (await fetch(`${upstream}/${tag}/log`)).json()) as Logged[];
const backend = (baseUrl: string, extra: Partial<OpenAiConfig> = {}) =>
  new OpenAiBackend({ baseUrl, model: "llava-cot", ...extra });

describe("openai over HTTP", () => {
  it("n candidates with stop, seed, logprobs and the image as a data URL; the prefix is continued", async () => {
    const b = backend(tagged("h-basic"), { apiKey: "sk-upstream-test" });
    const r = await b.generate(
      request({ n: 4, seeds: [100, 0, 0, 0], logprobs: true, image: { bytes: PNG_BYTES, media_type: "image/png" } }),
    );
    expect(r.generations.map((g) => g.text)).toEqual([
      "summary draft 100",
      "summary draft 101",
      "summary draft 102",
      "summary draft 103",
    ]);
    expect(r.generations.every((g) => g.finish_reason === "stop" && typeof g.mean_logprob === "number")).toBe(true);
    expect(r.usage.input_tokens).toBeGreaterThan(0);
    expect(r.usage.output_tokens).toBe(12);
    const [sent] = await log("h-basic");
    expect(sent?.headers.authorization).toBe("Bearer sk-upstream-test");
    expect(sent?.body).toMatchObject({
      n: 4,
      seed: 100,
      stop: ["</SUMMARY>"],
      logprobs: true,
      continue_final_message: true,
      add_generation_prompt: false,
    });
    const messages = sent?.body.messages as { role: string; content: unknown }[];
    expect(messages.at(-1)).toEqual({ role: "assistant", content: "<SUMMARY>" });
    const parts = messages[0]?.content as { type: string; image_url?: { url: string } }[];
    expect(parts[0]?.image_url?.url).toBe(`data:image/png;base64,${btoa(String.fromCharCode(...PNG_BYTES))}`);
  });

  it("a server that rejects n gets concurrent single calls, and the instance remembers it", async () => {
    const b = new OpenAiBackend({ baseUrl: tagged("h-single", ["delay-30"]), model: "single-n" });
    const r = await b.generate(request({ n: 4, seeds: [1, 2, 3, 4] }));
    expect(r.generations.map((g) => g.text)).toEqual([
      "summary draft 1",
      "summary draft 2",
      "summary draft 3",
      "summary draft 4",
    ]);
    await b.generate(request({ n: 2, seeds: [7, 8] }));
    const sent = await log("h-single");
    expect(sent.map((s) => s.body.n)).toEqual([4, 1, 1, 1, 1, 1, 1]);
    expect(Math.max(...sent.slice(1, 5).map((s) => s.inflight))).toBe(4); // the four single calls overlapped
  });

  it("completions mode sends the raw Llama 3 prompt", async () => {
    const b = backend(tagged("h-compl"), { prefill: "completions" });
    const r = await b.generate(
      request({
        seeds: [9],
        logprobs: true,
        stop: ["</CAPTION>"],
        prompt: { user: "q", assistant_prefix: "<SUMMARY>s</SUMMARY>\n<CAPTION>", with_image: false },
      }),
    );
    expect(r.generations[0]).toMatchObject({ text: "caption draft 9", finish_reason: "stop" });
    expect(r.generations[0]?.mean_logprob).toBeCloseTo(-0.3);
    const [sent] = await log("h-compl");
    expect(sent?.path).toBe("/h-compl/v1/completions");
    // completions takes no image: a request with one is refused before any call
    const err = await b
      .generate(request({ image: { bytes: PNG_BYTES, media_type: "image/png" } }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: false });
  });

  it.each([
    ["fail-429-1", { retryable: true, status: 429, retry_after_ms: 2000 }],
    ["fail-500-1", { retryable: true, status: 500 }],
    ["fail-503-1", { retryable: true, status: 503 }],
    ["fail-400-1", { retryable: false, status: 400 }],
    ["auth", { retryable: false, status: 401 }],
    ["malformed", { retryable: true }],
  ])("%s → %o", async (mode, expected) => {
    const err = await backend(tagged(`h-${mode}`, [mode]))
      .generate(request())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject(expected);
  });

  it("a slow server hits the per-request timeout → retryable", async () => {
    const err = await backend(tagged("h-slow", ["slow-400"]), { timeoutMs: 50 })
      .generate(request())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({ retryable: true, status: 408 });
  });

  it("a wrong base URL (404) → non-retryable, says what to check", async () => {
    const err = await backend(`${upstream}/h-404/v2`)
      .generate(request())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: false, status: 404 });
    expect((err as Error).message).toContain("OPENAI_BASE_URL");
  });
});
