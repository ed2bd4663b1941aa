/**
 * The verifier on an OpenAI-compatible server, on recorded responses (test/fixtures/openai/
 * vllm-verify-*.json): what is sent (one token at temperature 0 after `CHECK:`, top_logprobs), the
 * score read from the verdict token's alternatives, usage, and the errors.
 */
import { describe, expect, it } from "vitest";
import { BackendError } from "../../src/inference/backend";
import { FallbackBackend } from "../../src/inference/fallback";
import { OpenAiBackend } from "../../src/inference/openai";
import { verdictScore } from "../../src/inference/openai-verify";
import noVerdict from "../fixtures/openai/vllm-verify-no-verdict.json";
import verdict from "../fixtures/openai/vllm-verify-top-logprobs.json";
import { PNG_8x6_B64 } from "../fixtures/images";

function replay(fixture: { status: number; headers: Record<string, string>; body: unknown }) {
  const sent: Record<string, unknown>[] = [];
  const fetcher = (async (_input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
    return new Response(JSON.stringify(fixture.body), { status: fixture.status, headers: fixture.headers });
  }) as typeof fetch;
  return { fetcher, sent };
}

const request = (candidate: string) => ({
  stage: "CAPTION" as const,
  question: "How many red circles are there?",
  context: { SUMMARY: "Count the red circles." },
  candidate,
  with_image: true,
});
const image = { bytes: Uint8Array.from(atob(PNG_8x6_B64), (c) => c.charCodeAt(0)), media_type: "image/png" as const };

describe("the verifier on an OpenAI-compatible server", () => {
  it("asks for one token after CHECK: with top_logprobs, and reads P(CORRECT) from the alternatives", async () => {
    const { fetcher, sent } = replay(verdict);
    const backend = new OpenAiBackend({ baseUrl: "https://gpu.example.com/v1", model: "llava-cot", fetch: fetcher });
    expect(backend.capabilities.verify).toBe(true);
    const result = await backend.verify({ requests: [request("Two red circles."), request("Three.")], image });
    // " CORRECT" (e^-0.2231) against " IN" (e^-1.7148): " Correct" counts for CORRECT too.
    const yes = Math.exp(-0.2231) + Math.exp(-4.6052);
    const expected = yes / (yes + Math.exp(-1.7148));
    expect(result.scores).toHaveLength(2);
    for (const s of result.scores) expect(s).toBeCloseTo(expected, 6);
    expect(result.usage).toEqual({ input_tokens: 3424, output_tokens: 2 });
    expect(sent).toHaveLength(2);
    const body = sent[0] as { messages: { role: string; content: unknown }[] } & Record<string, unknown>;
    expect(body).toMatchObject({
      model: "llava-cot",
      max_tokens: 1,
      temperature: 0,
      logprobs: true,
      top_logprobs: 20,
      continue_final_message: true,
    });
    expect(body.messages.at(-1)).toEqual({ role: "assistant", content: "CHECK:" });
    const user = body.messages.find((m) => m.role === "user")?.content as { type: string; text?: string }[];
    expect(user[0]?.type).toBe("image_url");
    expect(user[1]?.text).toMatch(/Check the caption below.*\n\nQuestion: How many red circles/s);
    expect(user[1]?.text).toMatch(/Caption:\nTwo red circles\.$/);
  });

  it("a reply that names neither verdict scores null, with a warning", async () => {
    const { fetcher } = replay(noVerdict);
    const backend = new OpenAiBackend({ baseUrl: "https://gpu.example.com/v1", model: "llava-cot", fetch: fetcher });
    const result = await backend.verify({ requests: [request("Two.")] });
    expect(result.scores).toEqual([null]);
    expect(result.warnings[0]).toMatch(/named neither CORRECT nor INCORRECT/);
  });

  it("refuses clearly where it cannot work, and goes along a fallback chain", async () => {
    const noLogprobs = new OpenAiBackend({ baseUrl: "https://gpu.example.com/v1", model: "m", logprobs: false });
    expect(noLogprobs.capabilities.verify).toBe(false);
    await expect(noLogprobs.verify({ requests: [request("x")] })).rejects.toThrow(/OPENAI_LOGPROBS/);
    const plain = { ...verdict, body: { ...verdict.body, choices: [{ index: 0, message: { content: "x" } }] } };
    const bare = new OpenAiBackend({ baseUrl: "https://gpu.example.com/v1", model: "m", fetch: replay(plain).fetcher });
    const err = await bare.verify({ requests: [request("x")] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toMatch(/needs a server that returns top_logprobs/);

    const down = replay({ status: 503, headers: {}, body: { error: { message: "overloaded" } } }).fetcher;
    const chain = new FallbackBackend([
      new OpenAiBackend({ baseUrl: "https://a.example.com/v1", model: "a", id: "openai:a", fetch: down }),
      new OpenAiBackend({
        baseUrl: "https://b.example.com/v1",
        model: "b",
        id: "openai:b",
        fetch: replay(verdict).fetcher,
      }),
    ]);
    const served = await chain.verify({ requests: [request("x")] });
    expect(served.served_by).toBe("openai:b");
    expect(served.attempts?.[0]).toMatchObject({ backend: "openai:a", status: 503 });
  });

  it("verdictScore: split verdict tokens count for their word; neither verdict is null", () => {
    const body = (top: { token: string; logprob: number }[]) => ({
      choices: [{ logprobs: { content: [{ token: top[0]?.token, logprob: 0, top_logprobs: top }] } }],
    });
    expect(
      verdictScore(
        body([
          { token: " COR", logprob: Math.log(0.6) },
          { token: " INC", logprob: Math.log(0.2) },
        ]),
      ),
    ).toBeCloseTo(0.75, 9);
    expect(verdictScore(body([{ token: "INCORRECT", logprob: 0 }]))).toBe(0);
    expect(verdictScore(body([{ token: " maybe", logprob: 0 }]))).toBeNull();
    expect(() => verdictScore({ choices: [{}] })).toThrow(/top_logprobs/);
  });
});
