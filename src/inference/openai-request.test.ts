import { describe, expect, it } from "vitest";
import type { GenerateOptions } from "./backend";
import {
  chatBody,
  completionsBody,
  MalformedResponse,
  mapFinishReason,
  parseResponse,
  toDataUrl,
} from "./openai-request";

const opts = (o: Partial<GenerateOptions> = {}): GenerateOptions => ({
  purpose: "generate",
  prompt: { user: "Q?", assistant_prefix: "<SUMMARY>", with_image: true },
  n: 2,
  seeds: [1, 2],
  stop: ["</SUMMARY>"],
  max_tokens: 64,
  temperature: 0.6,
  top_p: 0.9,
  logprobs: false,
  image: { bytes: new Uint8Array([1, 2, 3]), media_type: "image/jpeg" },
  ...o,
});

describe("openai request bodies", () => {
  it("chat: image part as a data URL, prefix as the final assistant message, vLLM continuation flags", () => {
    const body = chatBody("m", opts(), 2, 1, "continue_final_message");
    expect(body).toEqual({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "data:image/jpeg;base64,AQID" } },
            { type: "text", text: "Q?" },
          ],
        },
        { role: "assistant", content: "<SUMMARY>" },
      ],
      n: 2,
      max_tokens: 64,
      temperature: 0.6,
      top_p: 0.9,
      seed: 1,
      stop: ["</SUMMARY>"],
      continue_final_message: true,
      add_generation_prompt: false,
    });
  });

  it("chat: no prefix → no assistant message and no flags; assistant_message mode → no flags; system and logprobs", () => {
    const judge = chatBody(
      "m",
      opts({ prompt: { system: "S", user: "Q", assistant_prefix: "", with_image: false }, stop: [], logprobs: true }),
      1,
      5,
      "continue_final_message",
    );
    expect(judge.messages).toEqual([
      { role: "system", content: "S" },
      { role: "user", content: "Q" },
    ]);
    expect(judge).not.toHaveProperty("continue_final_message");
    expect(judge).not.toHaveProperty("stop");
    expect(judge.logprobs).toBe(true);
    const plain = chatBody("m", opts(), 1, 1, "assistant_message");
    expect(plain).not.toHaveProperty("continue_final_message");
    expect((plain.messages as unknown[]).at(-1)).toEqual({ role: "assistant", content: "<SUMMARY>" });
  });

  it("completions: raw Llama 3 prompt without the image token; logprobs as a count", () => {
    const body = completionsBody("m", opts({ logprobs: true }), 2, 1);
    expect(String(body.prompt)).not.toContain("<|image|>");
    expect(String(body.prompt).endsWith("assistant<|end_header_id|>\n\n<SUMMARY>")).toBe(true);
    expect(body.logprobs).toBe(1);
  });

  it("data URLs of larger images", () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 256);
    const url = toDataUrl({ bytes, media_type: "image/png" });
    expect(Uint8Array.from(atob(url.slice("data:image/png;base64,".length)), (c) => c.charCodeAt(0))).toEqual(bytes);
  });
});

describe("openai response parsing", () => {
  it("finish reasons", () => {
    expect(mapFinishReason("stop")).toBe("stop");
    expect(mapFinishReason("length")).toBe("length");
    expect(mapFinishReason("content_filter")).toBe("other");
    expect(mapFinishReason(null)).toBe("other");
  });

  it("too few choices, no choices, non-JSON → MalformedResponse", () => {
    expect(() => parseResponse('{"choices":[]}', "chat", 1)).toThrow(MalformedResponse);
    expect(() => parseResponse("{}", "chat", 1)).toThrow(MalformedResponse);
    expect(() => parseResponse("nope", "chat", 1)).toThrow(MalformedResponse);
    expect(() => parseResponse('{"choices":[{"index":0,"message":{"content":5}}]}', "chat", 1)).toThrow(
      MalformedResponse,
    );
  });

  it("a null content is an empty text", () => {
    expect(
      parseResponse('{"choices":[{"index":0,"message":{"content":null},"finish_reason":"length"}]}', "chat", 1)
        .generations[0],
    ).toEqual({ text: "", finish_reason: "length", raw_finish_reason: "length" });
  });
});
