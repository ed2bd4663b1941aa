/**
 * Bad input to POST /v1/chat/completions: each gets a 4xx JSON error naming the problem, and no
 * run is created (no Durable Object is addressed).
 */
import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { authHeaders } from "../helpers/auth";
import { GIF_8x6_B64, PNG_8x6_B64 } from "../fixtures/images";
import { countRuns, expectError } from "../api/helpers";
import { PNG_DATA_URL, postChat, visionMessages } from "./helpers";

const valid = { model: "mock:fixed", messages: visionMessages() };
const user = (...content: unknown[]) => ({ role: "user", content });
const text = (t: string) => ({ type: "text", text: t });
const image = (url: string) => ({ type: "image_url", image_url: { url } });

/** [what, body, status, message, param] */
const cases: [string, unknown, number, RegExp, string | undefined][] = [
  ["missing messages", { model: "mock:fixed" }, 400, /^messages: is required \(an array\)/, "messages"],
  ["empty messages", { messages: [] }, 400, /^messages: must contain at least one message/, "messages"],
  ["messages not an array", { messages: "hi" }, 400, /^messages: expected an array, received "hi"/, "messages"],
  [
    "no user message",
    { messages: [{ role: "system", content: "Be brief." }] },
    400,
    /^messages: needs a user message/,
    "messages",
  ],
  [
    "last message not the user's",
    { messages: [user(text("Hi")), { role: "assistant", content: "<SUMMARY>" }] },
    400,
    /^messages\[1\]: the last message must be the user's \(assistant prefill is not supported\)/,
    "messages[1]",
  ],
  [
    "tool role",
    { messages: [{ role: "tool", content: "x", tool_call_id: "1" }] },
    400,
    /messages\[0\]\.role: must be one of "system", "developer", "user", "assistant" \(received "tool"\)/,
    "messages[0].role",
  ],
  [
    "unknown message field",
    { messages: [{ ...user(text("Hi")), tool_calls: [] }] },
    400,
    /messages\[0\]\.tool_calls: unknown field "tool_calls" \(allowed: role, content, name\)/,
    "messages[0].tool_calls",
  ],
  [
    "content a number",
    { messages: [{ role: "user", content: 5 }] },
    400,
    /^messages\[0\]\.content: must be a string or an array of content parts/,
    "messages[0].content",
  ],
  [
    "unknown part type",
    { messages: [user({ type: "input_audio", input_audio: {} })] },
    400,
    /messages\[0\]\.content\[0\]\.type: must be one of "text", "image_url"/,
    "messages[0].content[0].type",
  ],
  [
    "text part without text",
    { messages: [user({ type: "text" })] },
    400,
    /messages\[0\]\.content\[0\]\.text: is required in a "text" part/,
    "messages[0].content[0].text",
  ],
  [
    "image part without image_url",
    { messages: [user(text("Hi"), { type: "image_url" })] },
    400,
    /messages\[0\]\.content\[1\]\.image_url: is required in an? "image_url" part/,
    "messages[0].content[1].image_url",
  ],
  [
    "no question text",
    { messages: [user(image(PNG_DATA_URL))] },
    400,
    /^messages\[0\]\.content: the last user message needs text \(the question\)/,
    "messages[0].content",
  ],
  [
    "question too long",
    { messages: [user(text("q".repeat(2001)))] },
    400,
    /the question is 2001 characters \(limit: question ≤ 2000 chars\)/,
    "messages[0].content",
  ],
  [
    "two images",
    { messages: [user(text("Same?"), image(PNG_DATA_URL), image(PNG_DATA_URL))] },
    400,
    /^messages\[0\]\.content\[2\]: at most one image per request \(found 2: messages\[0\]\.content\[1\], messages\[0\]\.content\[2\]\)/,
    "messages[0].content[2]",
  ],
  [
    "image in an earlier message",
    {
      messages: [user(text("Look"), image(PNG_DATA_URL)), { role: "assistant", content: "OK" }, user(text("Colour?"))],
    },
    400,
    /messages\[0\]\.content\[1\]: the image must be in the last user message \(messages\[2\]\)/,
    "messages[0].content[1]",
  ],
  [
    "http image url",
    { messages: [user(text("Colour?"), image("http://example.com/a.png"))] },
    400,
    /^messages\[0\]\.content\[1\]\.image_url\.url: must use https \(received http\)/,
    "messages[0].content[1].image_url.url",
  ],
  [
    "not a URL",
    { messages: [user(text("Colour?"), image("a.png"))] },
    400,
    /image_url\.url: is not a valid absolute URL/,
    "messages[0].content[1].image_url.url",
  ],
  [
    "data URL not base64",
    { messages: [user(text("Colour?"), image("data:image/png,abc"))] },
    400,
    /image_url\.url: a data URL must be base64/,
    "messages[0].content[1].image_url.url",
  ],
  [
    "data URL bad base64",
    {
      messages: [
        user(text("Colour?"), image(`data:image/png;base64,${PNG_8x6_B64.slice(0, 8)}!${PNG_8x6_B64.slice(9)}`)),
      ],
    },
    400,
    /image_url\.url contains "!" at position 8/,
    "messages[0].content[1].image_url.url",
  ],
  [
    "data URL gif",
    { messages: [user(text("Colour?"), image(`data:image/gif;base64,${GIF_8x6_B64}`))] },
    415,
    /image_url\.url: media_type "image\/gif" is not supported \(supported: image\/png, image\/jpeg\)/,
    "messages[0].content[1].image_url.url",
  ],
  [
    "data URL says jpeg, bytes are png",
    { messages: [user(text("Colour?"), image(`data:image/jpeg;base64,${PNG_8x6_B64}`))] },
    400,
    /bytes are image\/png, but media_type says image\/jpeg/,
    "messages[0].content[1].image_url.url",
  ],
  [
    "image url too long",
    { messages: [user(text("Colour?"), image(`https://example.com/${"a".repeat(2040)}`))] },
    400,
    /must be at most 2048 characters \(limit: url ≤ 2048 chars/,
    "messages[0].content[1].image_url.url",
  ],
  [
    "unknown image_url field",
    { messages: [user(text("Colour?"), { type: "image_url", image_url: { url: PNG_DATA_URL, size: 1 } })] },
    400,
    /image_url\.size: unknown field "size" \(allowed: url, detail\)/,
    "messages[0].content[1].image_url.size",
  ],
  ["n = 2", { ...valid, n: 2 }, 400, /^n: only n = 1 is supported \(received 2\)/, "n"],
  [
    "unknown field",
    { ...valid, prompt: "hi" },
    400,
    /^prompt: unknown field "prompt" \(allowed: model, messages, /,
    "prompt",
  ],
  [
    "unsupported OpenAI field",
    { ...valid, tools: [{ type: "function", function: { name: "f" } }] },
    400,
    /^tools: this OpenAI parameter is not supported here \(accepted only as null or \[\]\)/,
    "tools",
  ],
  ["stop", { ...valid, stop: ["\n"] }, 400, /^stop: this OpenAI parameter is not supported here/, "stop"],
  ["logprobs true", { ...valid, logprobs: true }, 400, /^logprobs: .*accepted only as null or false/, "logprobs"],
  [
    "reasoning_effort",
    { ...valid, reasoning_effort: "low" },
    400,
    /^reasoning_effort: .*accepted only as null\)/,
    "reasoning_effort",
  ],
  [
    "model unknown",
    { ...valid, model: "gpt-4o" },
    400,
    /model "gpt-4o" is not served here \(available: mock:fixed/,
    "model",
  ],
  [
    "temperature 2.5",
    { ...valid, temperature: 2.5 },
    400,
    /^temperature: must be at most 2 \(limit: 0 ≤ temperature ≤ 2\)/,
    "temperature",
  ],
  [
    "temperature a string",
    { ...valid, temperature: "hot" },
    400,
    /^temperature: expected a number, received "hot"/,
    "temperature",
  ],
  ["top_p 0", { ...valid, top_p: 0 }, 400, /^top_p: must be greater than 0 \(limit: 0 < top_p ≤ 1\)/, "top_p"],
  [
    "max_tokens 4096",
    { ...valid, max_tokens: 4096 },
    400,
    /^max_tokens: must be at most 2048 \(limit: 1 ≤ max_tokens ≤ 2048\)/,
    "max_tokens",
  ],
  [
    "max_completion_tokens 0",
    { ...valid, max_completion_tokens: 0 },
    400,
    /^max_completion_tokens: must be at least 1/,
    "max_completion_tokens",
  ],
  [
    "both max_tokens fields, different",
    { ...valid, max_tokens: 10, max_completion_tokens: 20 },
    400,
    /give max_tokens or max_completion_tokens, not both/,
    "max_completion_tokens",
  ],
  ["seed negative", { ...valid, seed: -1 }, 400, /^seed: must be at least 0 \(limit: 0 ≤ seed ≤ 4294967295\)/, "seed"],
  ["stream not a boolean", { ...valid, stream: "yes" }, 400, /^stream: expected a boolean/, "stream"],
  [
    "stream_options without stream",
    { ...valid, stream_options: { include_usage: true } },
    400,
    /^stream_options: is only allowed when stream is true/,
    "stream_options",
  ],
  [
    "unknown stream_options field",
    { ...valid, stream: true, stream_options: { chunk_size: 1 } },
    400,
    /stream_options\.chunk_size: unknown field "chunk_size"/,
    "stream_options.chunk_size",
  ],
  [
    "reasoning_format unknown",
    { ...valid, reasoning_format: "hidden" },
    400,
    /^reasoning_format: must be one of "tagged", "split" \(received "hidden"\)/,
    "reasoning_format",
  ],
  [
    "search candidates 17",
    { ...valid, search: { candidates: 17 } },
    400,
    /^search\.candidates: must be at most 16 \(limit: 1 ≤ candidates ≤ 16\)/,
    "search.candidates",
  ],
  [
    "unknown search field",
    { ...valid, search: { beam_width: 2 } },
    400,
    /search\.beam_width: unknown field "beam_width"/,
    "search.beam_width",
  ],
  [
    "metadata value not a string",
    { ...valid, metadata: { k: 5 } },
    400,
    /^metadata\.k: expected a string, received 5/,
    "metadata.k",
  ],
  ["body not an object", [valid], 400, /^request body: expected an object, received an array/, undefined],
];

describe("POST /v1/chat/completions rejects bad input, creating no run", () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(cases)("%s", async (_what, body, status, message, param) => {
    const before = await countRuns();
    const json = await expectError(await postChat(body), status, message, param === undefined ? {} : { param });
    expect(json.error.type).toBe("invalid_request_error");
    expect(await countRuns()).toBe(before);
  });

  it("rejects a body that is not JSON, or not declared as JSON", async () => {
    const before = await countRuns();
    await expectError(await postChat("{"), 400, /request body is not valid JSON/);
    await expectError(
      await postChat(JSON.stringify(valid), { "Content-Type": "text/plain" }),
      415,
      /Content-Type must be application\/json/,
    );
    expect(await countRuns()).toBe(before);
  });

  it("names the image part when fetching an https image fails", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("gone", { status: 410 }));
    const before = await countRuns();
    await expectError(
      await postChat({ messages: [user(text("Colour?"), image("https://images.test/gone.png"))] }),
      400,
      /^messages\[0\]\.content\[1\]\.image_url\.url: fetching the image failed with HTTP 410/,
      {
        param: "messages[0].content[1].image_url.url",
        code: "image_fetch_failed",
      },
    );
    expect(await countRuns()).toBe(before);
  });

  it("answers 405 with Allow for other methods", async () => {
    const res = await SELF.fetch("https://api.test/v1/chat/completions", { headers: authHeaders() });
    await expectError(res, 405, /GET is not allowed on \/v1\/chat\/completions \(allowed: POST\)/);
    expect(res.headers.get("Allow")).toBe("POST");
  });
});
