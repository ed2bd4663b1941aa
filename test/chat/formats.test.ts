/**
 * What a chat completion answers: tagged or split stages (`reasoning_content`), streamed or not;
 * the run behind it; failed runs as OpenAI errors (mid-stream: an error frame); the accepted
 * OpenAI conveniences (string content, nulls, system turns, https images).
 */
import { SELF } from "cloudflare:test";
import OpenAI from "openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BackendError, type GenerateOptions } from "../../src/inference/backend";
import { ScriptedModel, createFixedLatencyModel, testBackends } from "../../src/inference/mock-model";
import type { RunView } from "../../src/runs/contract";
import { PNG_8x6_B64, fromBase64 } from "../fixtures/images";
import { authHeaders } from "../helpers/auth";
import { deterministicRespond, stageOf } from "../helpers/runs";
import { BASE, openaiClient, postChat, sseData, visionMessages } from "./helpers";

interface Completion {
  id: string;
  run_id: string;
  choices: { message: { role: string; content: string; reasoning_content?: string }; finish_reason: string }[];
  usage: Record<string, unknown>;
}

async function fetchRun(id: string): Promise<RunView> {
  return (await (await SELF.fetch(`${BASE}/v1/runs/${id}`, { headers: authHeaders() })).json()) as RunView;
}

async function complete(body: Record<string, unknown>): Promise<{ res: Response; json: Completion }> {
  const res = await postChat({ messages: visionMessages(), search: { candidates: 2 }, ...body });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return { res, json: JSON.parse(text) as Completion };
}

/** A scripted model that fails (non-retryably) when it reaches `failAt`. */
function failingModel(name: string, failAt: string): ScriptedModel {
  const model = new ScriptedModel({
    id: name,
    respond: (opts: GenerateOptions) => {
      if (opts.purpose === "generate" && stageOf(opts) === failAt)
        throw new BackendError("GPU node rejected the request (400)", false, 400);
      return deterministicRespond(opts);
    },
  });
  testBackends.set(name, model);
  return model;
}

describe("reasoning_format", () => {
  it("tagged (the default): the four stages in content, tags included; it is the run's text", async () => {
    const { res, json } = await complete({});
    const message = json.choices[0]?.message;
    expect(message?.reasoning_content).toBeUndefined();
    const run = await fetchRun(res.headers.get("x-run-id") ?? "");
    expect(json.run_id).toBe(run.id);
    expect(message?.content).toBe(run.text);
    expect(message?.content).toBe(
      `<SUMMARY>${run.stages.SUMMARY}</SUMMARY>\n<CAPTION>${run.stages.CAPTION}</CAPTION>\n<REASONING>${run.stages.REASONING}</REASONING>\n<CONCLUSION>${run.answer}</CONCLUSION>`,
    );
  });

  it("split: SUMMARY, CAPTION and REASONING in reasoning_content, the CONCLUSION alone in content", async () => {
    const { json } = await complete({ reasoning_format: "split" });
    const run = await fetchRun(json.run_id);
    const message = json.choices[0]?.message;
    expect(message?.content).toBe(run.answer);
    expect(message?.reasoning_content).toBe(
      `<SUMMARY>${run.stages.SUMMARY}</SUMMARY>\n<CAPTION>${run.stages.CAPTION}</CAPTION>\n<REASONING>${run.stages.REASONING}</REASONING>`,
    );
  });

  it("split, streamed: the stages arrive as reasoning_content deltas, then the CONCLUSION as content", async () => {
    const res = await postChat({
      messages: visionMessages(),
      stream: true,
      reasoning_format: "split",
      search: { candidates: 2 },
    });
    expect(res.status).toBe(200);
    const frames = sseData(await res.text());
    expect(frames.at(-1)).toBe("[DONE]");
    const chunks = frames.slice(0, -1).map(
      (f) =>
        JSON.parse(f) as {
          run_id: string;
          choices: { delta: { content?: string; reasoning_content?: string }; finish_reason: string | null }[];
        },
    );
    const deltas = chunks.map((c) => c.choices[0]?.delta ?? {});
    const reasoning = deltas.flatMap((d) => (d.reasoning_content ? [d.reasoning_content] : []));
    const content = deltas.flatMap((d) => (d.content ? [d.content] : []));
    const run = await fetchRun(chunks[0]?.run_id ?? "");
    expect(reasoning).toEqual([
      `<SUMMARY>${run.stages.SUMMARY}</SUMMARY>`,
      `\n<CAPTION>${run.stages.CAPTION}</CAPTION>`,
      `\n<REASONING>${run.stages.REASONING}</REASONING>`,
    ]);
    expect(content).toEqual([run.answer]);
    // Reasoning first, conclusion last, then the finish chunk.
    const lastReasoning = deltas.map((d) => Boolean(d.reasoning_content)).lastIndexOf(true);
    expect(deltas.findIndex((d) => d.content)).toBeGreaterThan(lastReasoning);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("with search.keep > 1 the stages are held until the run succeeds, then sent in order from its result", async () => {
    const res = await postChat({ messages: visionMessages(), stream: true, search: { candidates: 3, keep: 2 } });
    const frames = sseData(await res.text());
    const chunks = frames
      .slice(0, -1)
      .map((f) => JSON.parse(f) as { run_id: string; choices: { delta: { content?: string } }[] });
    const run = await fetchRun(chunks[0]?.run_id ?? "");
    const pieces = chunks.flatMap((c) => (c.choices[0]?.delta.content ? [c.choices[0].delta.content] : []));
    expect(pieces).toHaveLength(4);
    expect(pieces.join("")).toBe(run.text);
  });
});

describe("requests as OpenAI clients send them", () => {
  afterEach(() => vi.restoreAllMocks());

  it("string content, system and earlier turns, nulls, ignored fields and metadata are accepted", async () => {
    const { json } = await complete({
      model: null,
      messages: [
        { role: "system", content: "Answer briefly." },
        { role: "user", content: "Hello" },
        { role: "assistant", content: null },
        { role: "user", content: "  How many circles?  " },
      ],
      temperature: null,
      max_tokens: null,
      n: 1,
      user: "user-42",
      store: false,
      metadata: { ticket: "T-1" },
      // What OpenAI clients send when they mean "not used": accepted, as OpenAI's API does.
      stop: null,
      tools: [],
      tool_choice: "none",
      logprobs: false,
      top_logprobs: 0,
      frequency_penalty: 0,
      presence_penalty: 0,
      logit_bias: {},
      response_format: { type: "text" },
      modalities: ["text"],
      reasoning_effort: null,
      service_tier: "auto",
    });
    const run = await fetchRun(json.run_id);
    expect(run.question).toBe("How many circles?");
    expect(run.model).toBe("mock:fixed");
    expect(run.metadata).toEqual({ ticket: "T-1" });
    expect(run.sampling).toMatchObject({ temperature: 0.6, top_p: 0.9, max_tokens_per_stage: 512 });
  });

  it("max_completion_tokens is max_tokens's newer name: the per-stage cap", async () => {
    const { json } = await complete({ max_completion_tokens: 64, seed: 9 });
    expect((await fetchRun(json.run_id)).sampling).toMatchObject({ max_tokens_per_stage: 64, seed: 9 });
  });

  it("fetches an https image_url", async () => {
    const real = globalThis.fetch;
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async (input, init) =>
        String(input instanceof Request ? input.url : input).startsWith("https://images.test/")
          ? new Response(fromBase64(PNG_8x6_B64), { headers: { "Content-Type": "image/png" } })
          : real(input, init),
      );
    const { json } = await complete({ messages: visionMessages("Colour?", "https://images.test/a.png") });
    expect(spy.mock.calls.some((c) => String(c[0]) === "https://images.test/a.png")).toBe(true);
    expect((await fetchRun(json.run_id)).status).toBe("succeeded");
  });

  it("an Idempotency-Key replays the same completion", async () => {
    const headers = { "Idempotency-Key": `chat-${crypto.randomUUID()}` };
    const body = { messages: visionMessages(), search: { strategy: "greedy" } };
    const first = (await (await postChat(body, headers)).json()) as Completion;
    const again = (await (await postChat(body, headers)).json()) as Completion;
    expect(again.id).toBe(first.id);
    const other = await postChat({ ...body, seed: 1 }, headers);
    expect(other.status).toBe(409);
  });
});

describe("a run that fails", () => {
  it("answers an OpenAI error naming the run, with the status of its failure", async () => {
    failingModel("mock:chat-rejecting", "SUMMARY");
    const res = await postChat({
      model: "mock:chat-rejecting",
      messages: visionMessages(),
      search: { strategy: "greedy" },
    });
    expect(res.status).toBe(502);
    const runId = res.headers.get("x-run-id") ?? "";
    const body = (await res.json()) as { error: { type: string; code: string; message: string; run_id: string } };
    expect(body.error).toMatchObject({ type: "backend_error", code: "backend_rejected", run_id: runId });
    expect(body.error.message).toMatch(new RegExp(`^run ${runId} failed: .*GPU node rejected the request`));
    expect((await fetchRun(runId)).status).toBe("failed");

    const err = await openaiClient()
      .chat.completions.create({ model: "mock:chat-rejecting", messages: visionMessages() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
  });

  it("mid-stream: the stages done so far, then an error frame that the SDK raises", async () => {
    failingModel("mock:chat-fails-late", "REASONING");
    const stream = await openaiClient().chat.completions.create({
      model: "mock:chat-fails-late",
      messages: visionMessages(),
      stream: true,
      search: { strategy: "greedy" },
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    const pieces: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream)
        if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
    })().catch((e: unknown) => e);
    expect(pieces.map((p) => /<(\w+)>/.exec(p)?.[1])).toEqual(["SUMMARY", "CAPTION"]);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toMatch(/failed: .*GPU node rejected the request/);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe("backend_rejected");
  });

  it("a client that disconnects mid-stream does not stop the run", async () => {
    testBackends.set("mock:chat-slow", createFixedLatencyModel({ id: "mock:chat-slow", latencyMs: 15 }));
    const res = await postChat({
      model: "mock:chat-slow",
      messages: visionMessages(),
      stream: true,
      search: { candidates: 2 },
    });
    const runId = res.headers.get("x-run-id") ?? "";
    const reader = res.body!.getReader();
    await reader.read(); // the role chunk
    await reader.cancel();
    const done = (await (
      await SELF.fetch(`${BASE}/v1/runs/${runId}`, { headers: { ...authHeaders(), Prefer: "wait=30" } })
    ).json()) as RunView;
    expect(done.status).toBe("succeeded");
  });
});
