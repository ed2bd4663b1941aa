import { describe, expect, it } from "vitest";
import { parseSelfCheck, parseVerdict } from "../reasoning/judge";
import { parseAnswer, parseStageText } from "../reasoning/parser";
import type { ModelRequest } from "../reasoning/types";
import { BackendError, type GenerateOptions } from "./backend";
import { createFixedLatencyModel, ScriptedModel, testBackends } from "./mock-model";

const request = (extra: Partial<ModelRequest> = {}): GenerateOptions => ({
  purpose: "generate",
  prompt: { user: "How many circles?", assistant_prefix: "<SUMMARY>s</SUMMARY>\n<CAPTION>", with_image: true },
  n: 1,
  seeds: [7],
  stop: ["</CAPTION>"],
  max_tokens: 64,
  temperature: 0.6,
  top_p: 0.9,
  logprobs: false,
  ...extra,
});

describe("ScriptedModel", () => {
  it("needs a respond function or a sequence", () => {
    expect(() => new ScriptedModel({})).toThrow(/respond.*sequence/);
  });

  it("replays a sequence, records every call and propagates errors", async () => {
    const model = new ScriptedModel({
      id: "mock:seq",
      sequence: [
        "one",
        ["a", "b"],
        { generations: [{ text: "g", finish_reason: "length" }], usage: { output_tokens: 1 }, warnings: ["w"] },
        new BackendError("overloaded", true, 503),
      ],
    });
    expect((await model.generate(request({ n: 2, seeds: [1, 2] }))).generations.map((g) => g.text)).toEqual([
      "one",
      "one",
    ]);
    expect((await model.generate(request({ n: 2, seeds: [1, 2] }))).generations.map((g) => g.text)).toEqual(["a", "b"]);
    expect((await model.generate(request())).warnings).toEqual(["w"]);
    await expect(model.generate(request({ purpose: "judge" }))).rejects.toMatchObject({
      name: "BackendError",
      retryable: true,
      status: 503,
    });
    await expect(model.generate(request())).rejects.toThrow(/sequence exhausted at call 4/);
    expect(model.calls).toHaveLength(5);
    expect(model.callsBy("judge")).toHaveLength(1);
    expect(model.id).toBe("mock:seq");
  });

  it("answers with respond after the sequence, and reports unknown usage as undefined", async () => {
    const model = new ScriptedModel({
      sequence: ["first"],
      respond: (o, i) => `${o.purpose} ${i}`,
      capabilities: { n: false },
    });
    expect(model.capabilities.n).toBe(false);
    await model.generate(request());
    const r = await model.generate(request());
    expect(r.generations[0]?.text).toBe("generate 1");
    expect(r.usage).toEqual({});
  });
});

describe("createFixedLatencyModel", () => {
  const model = createFixedLatencyModel({ id: "mock:fixed", latencyMs: 30 });

  it("is deterministic in the seed and writes parseable stages, verdicts and checks", async () => {
    const a = await model.generate(request({ n: 2, seeds: [7, 8] }));
    const b = await model.generate(request({ n: 2, seeds: [7, 8] }));
    expect(a).toEqual(b);
    expect(a.generations[0]?.text).toBe("CAPTION draft 00000007");
    expect(parseStageText("CAPTION", a.generations[0]?.text ?? "", "stop").repairs).toEqual([]);
    expect(a.usage).toMatchObject({ estimated: true, output_tokens: 6 });
    expect(a.generations[0]?.mean_logprob).toBeLessThan(0);

    const judge = await model.generate(request({ purpose: "judge", seeds: [3] }));
    expect(parseVerdict(judge.generations[0]?.text ?? "").winner).toBe(2);
    const check = await model.generate(request({ purpose: "check", seeds: [10] }));
    expect(parseSelfCheck(check.generations[0]?.text ?? "")).toBe("incorrect");

    const whole = await model.generate(
      request({ prompt: { user: "q", assistant_prefix: "<SUMMARY>", with_image: true }, stop: ["</CONCLUSION>"] }),
    );
    const parsed = parseAnswer(whole.generations[0]?.text ?? "", "stop");
    expect(parsed).toMatchObject({ valid: true, missing: [], repairs: [] });
  });

  it("honours max_tokens (a token is a word): longer replies are cut, finish_reason length", async () => {
    const whole = request({
      prompt: { user: "q", assistant_prefix: "<SUMMARY>", with_image: true },
      stop: ["</CONCLUSION>"],
    });
    const cut = await model.generate({ ...whole, max_tokens: 3 });
    expect(cut.generations[0]?.text).toBe("SUMMARY draft 00000007</SUMMARY>");
    expect(cut.generations[0]?.finish_reason).toBe("length");
    expect(cut.usage.output_tokens).toBe(3);
    const fits = await model.generate({ ...whole, max_tokens: 1000 });
    expect(fits.generations[0]?.finish_reason).toBe("stop");
    expect(await model.countInputTokens?.(whole.prompt)).toBe(fits.usage.input_tokens);
  });

  it("sleeps once per call regardless of n, like a batched server", async () => {
    const started = Date.now();
    await model.generate(request({ n: 8, seeds: [1, 2, 3, 4, 5, 6, 7, 8] }));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(25);
    expect(elapsed).toBeLessThan(8 * 30);
  });
});

describe("testBackends", () => {
  it("is a shared registry tests can fill", () => {
    const model = new ScriptedModel({ respond: () => "x" });
    testBackends.set("mock:scripted-test", model);
    expect(testBackends.get("mock:scripted-test")).toBe(model);
    testBackends.delete("mock:scripted-test");
  });
});
