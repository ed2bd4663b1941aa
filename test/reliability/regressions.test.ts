/**
 * Regressions for bugs the reliability suites found.
 *
 * 1. A REASONING stage with fewer than two valid distinct candidates (twins merged, or all but one
 *    invalid) planned self-checks next to the stage's selection; the selection was committed first,
 *    so the checks never ran and the trace of a succeeded run kept them as pending (`verdict: null`)
 *    with no `selfcheck.decided` event. Found by the backend-faults suite (a Workers AI stream that
 *    ends early gives two identical candidates).
 * 2. A Workers AI stream that stopped before `data: [DONE]` (a dropped connection) was taken as a
 *    complete reply: its fragment became a valid candidate ("summar"), silently. It is now a
 *    retryable backend error. Found by the backend-faults suite.
 */
import { describe, expect, it } from "vitest";
import { BackendError } from "../../src/inference/backend";
import { ScriptedModel, testBackends } from "../../src/inference/mock-model";
import { WorkersAiBackend } from "../../src/inference/workers-ai";
import type { RunEvent } from "../../src/runs/contract";
import { deterministicRespond, makeSpec, newRun, stageOf, waitTerminal } from "../helpers/runs";

describe("regressions", () => {
  for (const [name, reasoning] of [
    ["identical REASONING candidates (merged twins)", () => "the same reasoning</REASONING>"],
    ["one valid REASONING candidate, the other empty", (i: number) => (i === 0 ? "some reasoning</REASONING>" : "")],
  ] as const) {
    it(`${name}: no self-check is planned, and the trace has no pending node`, async () => {
      const id = `mock:regression-${name.length}`;
      let reasoningCalls = 0;
      testBackends.set(
        id,
        new ScriptedModel({
          id,
          capabilities: { n: false },
          respond: (o) => {
            if (o.purpose === "generate" && stageOf(o) === "REASONING") {
              return {
                generations: [{ text: reasoning(reasoningCalls++), finish_reason: "stop" }],
                usage: {},
                warnings: [],
              };
            }
            return deterministicRespond(o);
          },
        }),
      );
      const run = newRun(id, makeSpec({ candidates: 2 }, 11));
      await run.stub.create(run.input);
      const view = await waitTerminal(run.stub);
      expect(view.status).toBe("succeeded");
      const stage = view.trace.stages.find((s) => s.stage === "REASONING");
      expect(stage?.selfchecks).toEqual([]);
      expect(stage?.matches.every((m) => m.status === "decided")).toBe(true);
      const events = (await run.stub.events(0, 1000)) as unknown as RunEvent[];
      expect(events.filter((e) => e.type === "selfcheck.decided")).toEqual([]);
    });
  }
});

describe("regressions: workers-ai", () => {
  it("a stream that ends before [DONE] is a retryable error, not a reply", async () => {
    const enc = new TextEncoder();
    const ai = {
      run: async () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(enc.encode('data: {"response":"summ"}\n\ndata: {"response":"ar"}\n\n'));
            controller.close();
          },
        }),
    };
    const backend = new WorkersAiBackend({ ai, model: "@cf/meta/llama-3.2-11b-vision-instruct", formatPrompt: false });
    const call = backend.generate({
      purpose: "generate",
      n: 1,
      seeds: [1],
      max_tokens: 64,
      temperature: 0.6,
      top_p: 0.9,
      stop: ["</SUMMARY>"],
      logprobs: false,
      prompt: { system: "", user: "q", assistant_prefix: "<SUMMARY>", with_image: false },
    } as Parameters<WorkersAiBackend["generate"]>[0]);
    await expect(call).rejects.toBeInstanceOf(BackendError);
    await expect(call).rejects.toMatchObject({ retryable: true, message: expect.stringContaining("before [DONE]") });
  });
});
