import { describe, expect, it } from "vitest";
import vectors from "../../data/x1-shapes/tokenizer-vectors.json";
import spec from "../../model-shards/tokenizer.json";
import { X1Tokenizer, type TokenizerSpec } from "../../src/inference/embedded/tokenizer";
import type { Prompt } from "../../src/reasoning/types";

const tok = new X1Tokenizer(spec as TokenizerSpec);

describe("the embedded tokenizer matches the Python side (data/x1-shapes/tokenizer-vectors.json)", () => {
  it("encodes and decodes every text vector", () => {
    for (const v of vectors.texts) {
      expect(tok.encode(v.text), JSON.stringify(v.text)).toEqual(v.ids);
      expect(tok.decode(v.ids)).toBe(v.text);
    }
  });

  it("encodes every prompt through the chat template, and every training target", () => {
    for (const v of vectors.prompts) expect(tok.encodePrompt(v.prompt as Prompt)).toEqual(v.ids);
    for (const v of vectors.targets) expect(tok.encodeTarget(v.text)).toEqual(v.ids);
  });

  it("has the manifest's vocabulary and special ids", () => {
    expect(tok.vocabSize).toBe(spec.vocab_size);
    expect([tok.pad, tok.bos, tok.eos, tok.image]).toEqual([0, 1, 2, 3]);
    expect(
      tok.encodePrompt({ user: "", assistant_prefix: "", with_image: true }).filter((id) => id === tok.image),
    ).toHaveLength(spec.image_tokens);
  });
});
