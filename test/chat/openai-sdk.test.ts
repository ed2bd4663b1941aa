/**
 * The official `openai` npm SDK, pointed at the service, completes a vision chat request, streams
 * one, and reads `usage`: a real client, not our own code. (The served model is `mock:fixed`,
 * which does not look at the image: these are protocol tests.)
 */
import { SELF } from "cloudflare:test";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import type { RunView } from "../../src/runs/contract";
import { createTestKey } from "../helpers/admin";
import { authHeaders } from "../helpers/auth";
import { BASE, openaiClient, visionMessages } from "./helpers";

const STAGE_TAGS =
  /^<SUMMARY>[^]*<\/SUMMARY>\n<CAPTION>[^]*<\/CAPTION>\n<REASONING>[^]*<\/REASONING>\n<CONCLUSION>[^]*<\/CONCLUSION>$/;

async function fetchRun(id: string): Promise<RunView> {
  const res = await SELF.fetch(`${BASE}/v1/runs/${id}`, { headers: authHeaders() });
  expect(res.status).toBe(200);
  return (await res.json()) as RunView;
}

describe("the openai SDK against /v1/chat/completions", () => {
  it("completes a vision request; the completion is the run's answer, with usage", async () => {
    const client = openaiClient();
    const { data: completion, response } = await client.chat.completions
      .create({
        model: "mock:fixed",
        messages: visionMessages(),
        temperature: 0.7,
        top_p: 0.95,
        max_tokens: 256,
        seed: 42,
        search: { candidates: 2 },
      } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .withResponse();

    const runId = response.headers.get("x-run-id") ?? "";
    expect(runId).toMatch(/^run_[0-9a-f]{64}$/);
    expect(completion.id).toBe(`chatcmpl-${runId.slice(4)}`);
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("mock:fixed");
    expect(completion.created).toBeGreaterThan(1_600_000_000);
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("stop");
    expect(choice?.message.role).toBe("assistant");
    expect(choice?.message.content).toMatch(STAGE_TAGS);

    // The completion is a run: same answer, the request's sampling, and its trace to fetch.
    const run = await fetchRun(runId);
    expect(run.status).toBe("succeeded");
    expect(run.question).toBe("How many blue squares are there?");
    expect(run.sampling).toEqual({ temperature: 0.7, top_p: 0.95, max_tokens_per_stage: 256, seed: 42 });
    expect(run.search.candidates).toBe(2);
    expect(choice?.message.content).toBe(run.text);
    expect(choice?.message.content).toContain(`<CONCLUSION>${run.answer}</CONCLUSION>`);

    const usage = completion.usage;
    expect(usage).toBeDefined();
    const u = run.usage;
    expect(usage?.prompt_tokens).toBe((u.input_tokens ?? NaN) + (u.judge_input_tokens ?? NaN));
    expect(usage?.completion_tokens).toBe((u.output_tokens ?? NaN) + (u.judge_output_tokens ?? NaN));
    expect(usage?.total_tokens).toBe(u.total_tokens);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(u.judge_output_tokens);
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
  });

  it("streams a vision request: a role chunk, the four stages in order, the conclusion, usage, done", async () => {
    const client = openaiClient();
    const { data: stream, response } = await client.chat.completions
      .create({
        model: "mock:fixed",
        messages: visionMessages(),
        stream: true,
        stream_options: { include_usage: true },
        search: { candidates: 2 },
      } as OpenAI.ChatCompletionCreateParamsStreaming)
      .withResponse();
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const runId = response.headers.get("x-run-id") ?? "";

    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(
      chunks.every(
        (c) =>
          c.object === "chat.completion.chunk" && c.id === `chatcmpl-${runId.slice(4)}` && c.model === "mock:fixed",
      ),
    ).toBe(true);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: "assistant", content: "" });
    const pieces = chunks.flatMap((c) => (c.choices[0]?.delta.content ? [c.choices[0].delta.content] : []));
    // One chunk per stage, in stage order, each a tagged stage.
    expect(pieces.map((p) => /<(\w+)>/.exec(p)?.[1])).toEqual(["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"]);
    const run = await fetchRun(runId);
    expect(pieces.join("")).toBe(run.text);
    expect(pieces.at(-1)).toBe(`\n<CONCLUSION>${run.answer}</CONCLUSION>`);

    // The finish chunk, then the usage chunk (empty choices); usage is null on every other chunk.
    const finish = chunks.findIndex((c) => c.choices[0]?.finish_reason === "stop");
    expect(finish).toBe(chunks.length - 2);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.total_tokens).toBe(run.usage.total_tokens);
    expect(last?.usage?.completion_tokens_details?.reasoning_tokens).toBe(run.usage.judge_output_tokens);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it("streams without usage unless asked for", async () => {
    const stream = await openaiClient().chat.completions.create({
      model: "mock:fixed",
      messages: visionMessages(),
      stream: true,
      search: { strategy: "greedy" },
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.some((c) => "usage" in c)).toBe(false);
  });

  it("raises the SDK's typed errors for bad input", async () => {
    const client = openaiClient();
    const err = await client.chat.completions
      .create({ model: "mock:fixed", messages: visionMessages(), n: 2 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("n");
    expect((err as Error).message).toMatch(/only n = 1 is supported/);

    const missing = await client.chat.completions
      .create({ model: "gpt-4o", messages: visionMessages() })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
    expect((missing as Error).message).toMatch(/model "gpt-4o" is not served here \(available: mock:fixed/);
  });

  it("lists the models", async () => {
    const models = [];
    for await (const m of openaiClient().models.list()) models.push(m.id);
    expect(models).toContain("mock:fixed");
  });

  it("a streaming request that cannot run gets its 4xx before any stream: the SDK sees the status", async () => {
    const spent = await createTestKey({ budget_usd: 0 });
    const stream = (client: OpenAI, body: Record<string, unknown>) =>
      client.chat.completions
        .create({
          model: "mock:fixed",
          messages: visionMessages(),
          stream: true,
          ...body,
        } as OpenAI.ChatCompletionCreateParamsStreaming)
        .then(async (s) => {
          for await (const _ of s) void _;
          return null;
        })
        .catch((e: unknown) => e);
    const budget = await stream(openaiClient(spent.key), {});
    expect(budget).toBeInstanceOf(OpenAI.APIError);
    expect((budget as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    const invalid = await stream(openaiClient(), { temperature: 9 });
    expect((invalid as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    const unknown = await stream(openaiClient(), { model: "openai:nowhere" });
    expect((unknown as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
  });

  it("models carry OpenAI's created and owned_by", async () => {
    for await (const m of openaiClient().models.list()) {
      expect(m.created).toBeGreaterThan(1_700_000_000);
      expect(typeof m.owned_by).toBe("string");
    }
  });
});
