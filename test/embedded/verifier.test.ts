/**
 * The embedded model's stage verifier (src/inference/embedded/verifier.ts), used by `npm run eval`'s
 * beam4v and bon4v: a probability per request from one batched call per stage, counted input
 * tokens; `X1Model.nextLogprobs` agrees with decoding, and `nextLogprobsShared`, which reads a
 * stage's candidates together over their shared beginning, agrees with reading them one by one. The served backend
 * still does not verify, so the API keeps refusing the scorer for the embedded model.
 */
import { describe, expect, it } from "vitest";
import samples from "../../data/x1-shapes/samples/samples.json";
import { EmbeddedBackend } from "../../src/inference/embedded";
import { decodeImage, toModelImage } from "../../src/inference/embedded/image";
import { withModelVerifier } from "../../src/inference/embedded/verifier";
import { buildStagePrompt } from "../../src/reasoning/prompts";
import { buildVerifyPrompt } from "../../src/reasoning/verify";
import { sample, sharedModel } from "./helpers";

const backend = new EmbeddedBackend({ id: "embedded:x1-shapes-tiny", model: sharedModel });

describe("the embedded verifier", () => {
  it("nextLogprobs agrees with greedy decoding: its argmax is the first token, with the same log-probability", async () => {
    const model = await sharedModel();
    const s = sample("count_colour");
    const size = model.manifest.architecture.image_size;
    const embeds = await model.encodeImage(toModelImage(await decodeImage(s.png, "image/png"), size));
    const ids = model.tokenizer.encodePrompt(buildStagePrompt(s.question, {}, "SUMMARY", true));
    const all = Array.from({ length: model.manifest.architecture.vocab_size }, (_, i) => i);
    const lp = await model.nextLogprobs(ids, embeds, all);
    const best = lp.indexOf(Math.max(...lp));
    const decoded = await model.decode({
      promptIds: ids,
      imageEmbeds: embeds,
      n: 1,
      seeds: [0],
      temperature: 0,
      topP: 1,
      maxTokens: 1,
      stop: [],
    });
    const [first] = decoded.candidates;
    expect(first?.ids[0]).toBe(best);
    expect(first?.logprob_sum).toBeCloseTo(lp[best] as number, 4);
    // A distribution: the probabilities of every token sum to one.
    expect(lp.reduce((a, x) => a + Math.exp(x), 0)).toBeCloseTo(1, 4);
  });

  it("scores every request with a probability, deterministically, and counts the prompts' tokens", async () => {
    const model = await sharedModel();
    const verifier = withModelVerifier(backend, model);
    expect(verifier.capabilities.verify).toBe(true);
    expect(backend.capabilities.verify ?? false).toBe(false);
    const s = samples[0] as (typeof samples)[number];
    const png = sample(s.family).png;
    const requests = (["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"] as const).map((stage, i, all) => ({
      stage,
      question: s.question,
      context: Object.fromEntries(all.slice(0, i).map((st) => [st, s.stages[st]])),
      candidate: s.stages[stage],
      with_image: true,
    }));
    const image = { bytes: png, media_type: "image/png" as const };
    const first = await verifier.verify?.({ requests, image });
    const again = await verifier.verify?.({ requests, image });
    expect(first?.scores).toHaveLength(4);
    for (const score of first?.scores ?? []) {
      expect(score).not.toBeNull();
      expect(score).toBeGreaterThan(0);
      expect(score).toBeLessThan(1);
    }
    expect(again?.scores).toEqual(first?.scores);
    const expected = requests
      .map((r) => buildVerifyPrompt(r.stage, r.question, r.context, r.candidate, true))
      .reduce((a, p) => a + model.tokenizer.encodePrompt(p).length, 0);
    expect(first?.usage).toEqual({ input_tokens: expected, output_tokens: 0 });
  });

  // Read with the fp32 export, together and one by one agree to 7e-6. The int8 graphs quantize
  // each call's activations with the call's own scale, which moves log-probabilities by up to 0.43
  // (a mean of 0.05-0.09 over the vocabulary) on these prompts; an unmasked pad moves them by whole
  // units, positions one off by a mean of 0.1-0.4.
  it("reads a stage's candidates together as it reads them one by one, to int8 rounding", async () => {
    const model = await sharedModel();
    const s = samples.find((x) => x.family === "count_both") as (typeof samples)[number];
    const size = model.manifest.architecture.image_size;
    const embeds = await model.encodeImage(toModelImage(await decodeImage(sample(s.family).png, "image/png"), size));
    const right = s.stages.CAPTION;
    // Candidates of three lengths after the same question and summary.
    const candidates = [right, right.split(":")[0] + ".", `${right} Nothing else is in the image.`];
    const prompts = candidates.map((c) =>
      model.tokenizer.encodePrompt(buildVerifyPrompt("CAPTION", s.question, { SUMMARY: s.stages.SUMMARY }, c, true)),
    );
    expect(new Set(prompts.map((p) => p.length)).size).toBe(3);
    const all = Array.from({ length: model.manifest.architecture.vocab_size }, (_, i) => i);
    const together = (await model.nextLogprobsShared(prompts, embeds, all)) as number[][];
    const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
    for (const [i, ids] of prompts.entries()) {
      const alone = await model.nextLogprobs(ids, embeds, all);
      const row = together[i] as number[];
      expect(argmax(row)).toBe(argmax(alone));
      expect(row.reduce((a, x, t) => a + Math.abs(x - (alone[t] as number)), 0) / all.length).toBeLessThan(0.15);
    }
    // The rows in another order: the same numbers, each for its own prompt.
    const order = [2, 0, 1];
    const shuffled = await model.nextLogprobsShared(
      order.map((i) => prompts[i] as number[]),
      embeds,
      all,
    );
    order.forEach((i, k) => expect(shuffled[k]).toEqual(together[i]));
    // A prompt over the context gets null; the others are still read.
    const first = prompts[0] as number[];
    const long = [...first, ...Array<number>(600).fill(first[first.length - 1] as number)];
    const mixed = await model.nextLogprobsShared([long, ...prompts], embeds, [1, 2]);
    expect(mixed[0]).toBeNull();
    expect(mixed.slice(1).every((x) => x !== null)).toBe(true);
  });
});
