/** The pure helpers behind the chat route: usage mapping and reading SSE frames back. */
import { describe, expect, it } from "vitest";
import { completionId, usageOf } from "../../src/app/chat/completion";
import { readSse } from "../../src/shared/sse-read";

describe("usageOf", () => {
  it("maps generation + judging onto prompt/completion tokens; the judging share is reasoning_tokens", () => {
    const u = usageOf({
      input_tokens: 100,
      output_tokens: 40,
      judge_input_tokens: 300,
      judge_output_tokens: 12,
      total_tokens: 452,
      model_steps: 9,
      backend_ms: 5,
      estimated: false,
      cost_usd: 0.001,
    });
    expect(u).toEqual({
      prompt_tokens: 400,
      completion_tokens: 52,
      total_tokens: 452,
      completion_tokens_details: { reasoning_tokens: 12 },
      cost_usd: 0.001,
    });
  });

  it("leaves out what the backend did not report, never a made-up 0", () => {
    const u = usageOf({
      input_tokens: undefined,
      output_tokens: 40,
      judge_input_tokens: 3,
      judge_output_tokens: undefined,
      total_tokens: undefined,
      model_steps: 2,
      backend_ms: 5,
      estimated: false,
    });
    expect(u).toEqual({});
  });
});

describe("completionId", () => {
  it("is chatcmpl- + the run's hex id", () => {
    expect(completionId(`run_${"ab".repeat(32)}`)).toBe(`chatcmpl-${"ab".repeat(32)}`);
  });
});

describe("readSse on a run object's stream", () => {
  it("reassembles frames split anywhere across chunks, multi-line data and comments included", async () => {
    const text =
      ': keep-alive\n\nid: 1\nevent: stage.completed\ndata: {"a":\ndata: 1}\n\nid: 2\nevent: run.succeeded\ndata: {}\n\n';
    const bytes = new TextEncoder().encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
        controller.close();
      },
    });
    const frames = [];
    for await (const f of readSse(stream)) frames.push(f);
    expect(frames).toEqual([
      { data: "", comment: true },
      { id: "1", event: "stage.completed", data: '{"a":\n1}' },
      { id: "2", event: "run.succeeded", data: "{}" },
    ]);
  });
});
