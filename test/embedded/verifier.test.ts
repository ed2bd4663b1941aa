/**
 * The embedded model's stage verifier (src/inference/embedded/verifier.ts), used by `npm run eval`'s
 * beam4v and bon4v: one forward pass per candidate, a probability per request, counted input
 * tokens; and `X1Model.nextLogprobs`, which it reads, agrees with decoding. The served backend
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
});
