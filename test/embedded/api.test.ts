import { describe, expect, it } from "vitest";
import { EmbeddedBackend } from "../../src/inference/embedded";
import { testBackends } from "../../src/inference/mock-model";
import { normalizeAnswer } from "../../src/reasoning/normalize";
import { postRun } from "../api/helpers";
import { sample, sharedModel } from "./helpers";

// The suite serves mock:fixed by default (vitest.config.ts); the embedded model is registered here
// under its real id so that the whole path — API, Durable Object, engine, backend — runs it.
const ID = "embedded:x1-shapes-tiny";
testBackends.set(ID, new EmbeddedBackend({ id: ID, model: sharedModel }));

describe("a run through the API on the embedded model", () => {
  it("answers a committed sample image in four stages, with counted usage", async () => {
    const s = sample("corners");
    const res = await postRun(
      {
        model: ID,
        question: s.question,
        image: { data: s.png_base64, media_type: "image/png" },
        search: { strategy: "greedy" },
      },
      { Prefer: "wait=60" },
    );
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const view = JSON.parse(text) as {
      status: string;
      answer: string;
      stages: Record<string, string>;
      usage: { input_tokens?: number; output_tokens?: number };
    };
    expect(view.status).toBe("succeeded");
    expect(normalizeAnswer(view.answer)).toBe(normalizeAnswer(s.answer));
    for (const stage of ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"])
      expect(view.stages[stage], stage).toBeTruthy();
    expect(view.usage.input_tokens).toBeGreaterThan(0);
    expect(view.usage.output_tokens).toBeGreaterThan(0);
  });

  // Every run is its own Durable Object, all sharing the isolate's one model: their decodes
  // interleave step by step, and nothing one object's decode creates may be used by another's
  // (workerd refuses I/O "on behalf of a different Durable Object").
  it("runs several runs at once on the one shared model, each to the end", async () => {
    const s = sample("corners");
    const body = {
      model: ID,
      question: s.question,
      image: { data: s.png_base64, media_type: "image/png" },
      search: { strategy: "stage_beam", candidates: 2 },
    };
    const responses = await Promise.all(Array.from({ length: 4 }, () => postRun(body, { Prefer: "wait=60" })));
    for (const res of responses) {
      const text = await res.text();
      expect(res.status, text).toBe(200);
      expect((JSON.parse(text) as { status: string }).status, text).toBe("succeeded");
    }
  });
});
