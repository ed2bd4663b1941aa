/**
 * Bad input to POST /v1/runs: each gets a 4xx JSON error naming the problem (and the limit),
 * and no run is created — no Durable Object is even addressed.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  GIF_8x6_B64,
  JPEG_8x6_B64,
  PNG_8x6_B64,
  PNG_INTERLACED_9x7_B64,
  fromBase64,
  pngClaiming,
  toBase64,
} from "../fixtures/images";
import { authHeaders } from "../helpers/auth";
import { BASE, countRuns, expectError, postRun, validBody, withPath } from "./helpers";

const body = validBody();

/** [what, dotted path, value, status, message, param] */
const bodyCases: [string, string, unknown, number, RegExp, string | undefined][] = [
  ["question missing", "question", undefined, 400, /^question: is required \(a string\)/, "question"],
  ["question not a string", "question", 42, 400, /^question: expected a string, received 42/, "question"],
  ["question blank", "question", "   ", 400, /^question: must not be empty/, "question"],
  [
    "question too long",
    "question",
    "q".repeat(2001),
    400,
    /question: must be at most 2000 characters \(limit: question ≤ 2000 chars\)/,
    "question",
  ],
  [
    "unknown top-level field",
    "prompt",
    "hi",
    400,
    /^prompt: unknown field "prompt" \(allowed: model, image, question, search, sampling, limits, metadata, webhook, cache\)/,
    "prompt",
  ],
  ["model unknown", "model", "nope:x", 400, /model "nope:x" is not served here \(available: mock:fixed/, "model"],
  ["model empty", "model", "", 400, /^model: must not be empty \(omit it for the default model\)/, "model"],
  ["model not a string", "model", 7, 400, /^model: expected a string, received 7/, "model"],
  [
    "candidates 17",
    "search.candidates",
    17,
    400,
    /^search\.candidates: must be at most 16 \(limit: 1 ≤ candidates ≤ 16\)/,
    "search.candidates",
  ],
  [
    "candidates 0",
    "search.candidates",
    0,
    400,
    /search\.candidates: must be at least 1 \(limit: 1 ≤ candidates ≤ 16\)/,
    "search.candidates",
  ],
  [
    "candidates fractional",
    "search.candidates",
    2.5,
    400,
    /search\.candidates: must be an integer/,
    "search.candidates",
  ],
  [
    "candidates as string",
    "search.candidates",
    "4",
    400,
    /search\.candidates: expected a number, received "4"/,
    "search.candidates",
  ],
  ["keep 5", "search.keep", 5, 400, /search\.keep: must be at most 4 \(limit: 1 ≤ keep ≤ 4\)/, "search.keep"],
  [
    "strategy unknown",
    "search.strategy",
    "beam",
    400,
    /search\.strategy: must be one of "stage_beam", "greedy", "best_of_n" \(received "beam"\)/,
    "search.strategy",
  ],
  [
    "scorer unknown",
    "search.scorer",
    "random",
    400,
    /search\.scorer: must be one of "judge", "logprob", "vote"/,
    "search.scorer",
  ],
  [
    "judge_orders 3",
    "search.judge_orders",
    3,
    400,
    /search\.judge_orders: must be 1 or 2 \(limit: judge_orders is 1, the reference's single order, or 2, both orders\)/,
    "search.judge_orders",
  ],
  [
    "judge_orders as string",
    "search.judge_orders",
    "2",
    400,
    /search\.judge_orders: must be 1 or 2/,
    "search.judge_orders",
  ],
  ["search not an object", "search", [], 400, /^search: expected an object, received an array/, "search"],
  [
    "unknown search field",
    "search.beam_width",
    2,
    400,
    /search\.beam_width: unknown field "beam_width" \(allowed: strategy, candidates, keep, scorer, stages, judge_orders\)/,
    "search.beam_width",
  ],
  [
    "unknown stage",
    "search.stages.ANSWER",
    {},
    400,
    /search\.stages\.ANSWER: unknown field "ANSWER" \(allowed: SUMMARY, CAPTION, REASONING, CONCLUSION\)/,
    "search.stages.ANSWER",
  ],
  [
    "stage candidates 17",
    "search.stages.CAPTION.candidates",
    17,
    400,
    /search\.stages\.CAPTION\.candidates: must be at most 16/,
    "search.stages.CAPTION.candidates",
  ],
  [
    "stage max_tokens 4096",
    "search.stages.REASONING.max_tokens",
    4096,
    400,
    /search\.stages\.REASONING\.max_tokens: must be at most 2048 \(limit: 1 ≤ max_tokens ≤ 2048\)/,
    "search.stages.REASONING.max_tokens",
  ],
  [
    "stage unknown field",
    "search.stages.SUMMARY.top_k",
    5,
    400,
    /search\.stages\.SUMMARY\.top_k: unknown field "top_k"/,
    "search.stages.SUMMARY.top_k",
  ],
  [
    "max_tokens_per_stage 4096",
    "sampling.max_tokens_per_stage",
    4096,
    400,
    /sampling\.max_tokens_per_stage: must be at most 2048 \(limit: 1 ≤ max_tokens_per_stage ≤ 2048\)/,
    "sampling.max_tokens_per_stage",
  ],
  [
    "temperature 2.5",
    "sampling.temperature",
    2.5,
    400,
    /sampling\.temperature: must be at most 2 \(limit: 0 ≤ temperature ≤ 2\)/,
    "sampling.temperature",
  ],
  [
    "temperature negative",
    "sampling.temperature",
    -0.1,
    400,
    /sampling\.temperature: must be at least 0/,
    "sampling.temperature",
  ],
  [
    "top_p 0",
    "sampling.top_p",
    0,
    400,
    /sampling\.top_p: must be greater than 0 \(limit: 0 < top_p ≤ 1\)/,
    "sampling.top_p",
  ],
  ["top_p 1.1", "sampling.top_p", 1.1, 400, /sampling\.top_p: must be at most 1/, "sampling.top_p"],
  [
    "seed negative",
    "sampling.seed",
    -1,
    400,
    /sampling\.seed: must be at least 0 \(limit: 0 ≤ seed ≤ 4294967295\)/,
    "sampling.seed",
  ],
  ["seed 2^32", "sampling.seed", 2 ** 32, 400, /sampling\.seed: must be at most 4294967295/, "sampling.seed"],
  ["seed fractional", "sampling.seed", 1.5, 400, /sampling\.seed: must be an integer/, "sampling.seed"],
  ["unknown sampling field", "sampling.top_k", 40, 400, /sampling\.top_k: unknown field "top_k"/, "sampling.top_k"],
  [
    "deadline 0",
    "limits.deadline_seconds",
    0,
    400,
    /limits\.deadline_seconds: must be at least 1 \(limit: 1 ≤ deadline_seconds ≤ 900\)/,
    "limits.deadline_seconds",
  ],
  [
    "deadline 901",
    "limits.deadline_seconds",
    901,
    400,
    /limits\.deadline_seconds: must be at most 900/,
    "limits.deadline_seconds",
  ],
  [
    "max_total_tokens 0",
    "limits.max_total_tokens",
    0,
    400,
    /limits\.max_total_tokens: must be at least 1/,
    "limits.max_total_tokens",
  ],
  ["metadata value not a string", "metadata.k", 5, 400, /metadata\.k: expected a string, received 5/, "metadata.k"],
  [
    "metadata value too long",
    "metadata.k",
    "v".repeat(513),
    400,
    /metadata\.k: value is 513 characters \(limit: metadata value ≤ 512 chars\)/,
    "metadata.k",
  ],
  [
    "metadata key too long",
    `metadata.${"k".repeat(65)}`,
    "v",
    400,
    /key must be 1\.\.64 characters \(limit: metadata key ≤ 64 chars\)/,
    `metadata.${"k".repeat(65)}`,
  ],
  [
    "metadata too many keys",
    "metadata",
    Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])),
    400,
    /^metadata: has 17 keys \(limit: metadata ≤ 16 keys\)/,
    "metadata",
  ],
  [
    "image neither url nor data",
    "image",
    {},
    400,
    /^image: needs either url or data \(base64\) with media_type/,
    "image",
  ],
  [
    "image both url and data",
    "image.url",
    "https://example.com/a.png",
    400,
    /image\.url: give either url or data with media_type, not both/,
    "image.url",
  ],
  [
    "image data without media_type",
    "image.media_type",
    undefined,
    400,
    /image\.media_type: is required with data/,
    "image.media_type",
  ],
  [
    "image unknown field",
    "image.detail",
    "high",
    400,
    /image\.detail: unknown field "detail" \(allowed: url, data, media_type\)/,
    "image.detail",
  ],
  ["image data not a string", "image.data", 123, 400, /image\.data: expected a string, received 123/, "image.data"],
  [
    "image bad base64",
    "image.data",
    `${PNG_8x6_B64.slice(0, 8)}!${PNG_8x6_B64.slice(9)}`,
    400,
    /image\.data contains "!" at position 8/,
    "image.data",
  ],
  [
    "image data URL",
    "image.data",
    `data:image/png;base64,${PNG_8x6_B64}`,
    400,
    /image\.data is a data URL; send only the base64 part/,
    "image.data",
  ],
  [
    "image bad padding",
    "image.data",
    PNG_8x6_B64.replace(/=+$/, ""),
    400,
    /image\.data has length \d+, not a multiple of 4/,
    "image.data",
  ],
  [
    "image gif media type",
    "image",
    { data: GIF_8x6_B64, media_type: "image/gif" },
    415,
    /image\.media_type: media_type "image\/gif" is not supported \(supported: image\/png, image\/jpeg\)/,
    "image.media_type",
  ],
  [
    "png declared as jpeg",
    "image",
    { data: PNG_8x6_B64, media_type: "image/jpeg" },
    400,
    /bytes are image\/png, but media_type says image\/jpeg/,
    "image.data",
  ],
  [
    "jpeg declared as png",
    "image",
    { data: JPEG_8x6_B64, media_type: "image/png" },
    400,
    /bytes are image\/jpeg, but media_type says image\/png/,
    "image.data",
  ],
  [
    "not an image",
    "image",
    { data: btoa("just some text"), media_type: "image/png" },
    400,
    /bytes are not a PNG or JPEG image, but media_type says image\/png/,
    "image.data",
  ],
  [
    "too many pixels",
    "image",
    { data: toBase64(pngClaiming(5000, 5000)), media_type: "image/png" },
    400,
    /image is 5000×5000 = 25000000 pixels \(limit: ≤ 16777216 pixels\)/,
    "image.data",
  ],
  [
    "zero-width image",
    "image",
    { data: toBase64(pngClaiming(0, 6)), media_type: "image/png" },
    400,
    /image is 0×6 \(limit: at least 1×1 pixels\)/,
    "image.data",
  ],
  [
    "image url http",
    "image",
    { url: "http://example.com/a.png" },
    400,
    /image\.url: must use https \(received http\)/,
    "image.url",
  ],
  [
    "image url with credentials",
    "image",
    { url: "https://user:pw@example.com/a.png" },
    400,
    /image\.url: must not contain credentials/,
    "image.url",
  ],
  [
    "image url too long",
    "image",
    { url: `https://example.com/${"a".repeat(2040)}` },
    400,
    /image\.url: must be at most 2048 characters \(limit: url ≤ 2048 chars\)/,
    "image.url",
  ],
  [
    "image url not a url",
    "image",
    { url: "example.com/a.png" },
    400,
    /image\.url: is not a valid absolute URL/,
    "image.url",
  ],
];

describe("POST /v1/runs rejects a bad body", () => {
  it.each(bodyCases)("%s", async (_what, path, value, status, message, param) => {
    const before = await countRuns();
    const res = await postRun(withPath(body, path, value));
    const json = await expectError(res, status, message, { param });
    expect(json.error.type).toBe("invalid_request_error");
    expect(await countRuns()).toBe(before);
  });

  it("keep larger than candidates under stage_beam", async () => {
    const before = await countRuns();
    const res = await postRun(validBody({ search: { candidates: 2, keep: 3 } }));
    await expectError(
      res,
      400,
      /search\.keep: must be at most candidates \(2\) for stage_beam \(limit: keep ≤ candidates\)/,
      { param: "search.keep" },
    );
    expect(await countRuns()).toBe(before);
  });

  it("lists every problem, not just the first", async () => {
    const res = await postRun(validBody({ question: "", search: { candidates: 99 }, extra: 1 }));
    const json = await expectError(res, 400, /question: must not be empty/);
    expect(json.error.message).toMatch(/search\.candidates: must be at most 16/);
    expect(json.error.message).toMatch(/extra: unknown field "extra"/);
  });

  it("a body that is not an object", async () => {
    await expectError(await postRun([1, 2]), 400, /^request body: expected an object, received an array/);
    await expectError(await postRun("null"), 400, /^request body: expected an object, received null/);
  });

  it("an image over 4 MiB (decoded) inside a body under 6 MiB", async () => {
    const before = await countRuns();
    const res = await postRun(validBody({ image: { data: "A".repeat(5_600_000), media_type: "image/png" } }));
    await expectError(res, 413, /image\.data: image is 4\.01 MiB \(limit: image ≤ 4 MiB\)/, {
      param: "image.data",
      code: "image_too_large",
    });
    expect(await countRuns()).toBe(before);
  });
});

describe("images the decoder must read", () => {
  it("an interlaced PNG runs", async () => {
    const res = await postRun(validBody({ image: { data: PNG_INTERLACED_9x7_B64, media_type: "image/png" } }));
    expect([200, 202]).toContain(res.status);
    await res.body?.cancel();
  });

  it("a PNG whose header is fine but whose pixel data is not is refused before a run exists", async () => {
    const bytes = fromBase64(PNG_8x6_B64);
    // Flip bytes inside the IDAT chunk's compressed data (after its 8-byte chunk header).
    const idat = new TextDecoder("latin1").decode(bytes).indexOf("IDAT") + 4;
    for (let i = idat + 2; i < idat + 10; i++) bytes[i] = (bytes[i] as number) ^ 0x5a;
    const before = await countRuns();
    await expectError(
      await postRun(validBody({ image: { data: toBase64(bytes), media_type: "image/png" } })),
      400,
      /^image\.data: the PNG cannot be decoded: /,
      { param: "image.data", code: "invalid_image" },
    );
    expect(await countRuns()).toBe(before);
  });
});

describe("POST /v1/runs rejects a bad request", () => {
  it("malformed JSON, with the parser's position", async () => {
    const before = await countRuns();
    const res = await postRun('{"question": "hi",}');
    await expectError(res, 400, /request body is not valid JSON: .*position 18/, { code: "invalid_json" });
    expect(await countRuns()).toBe(before);
  });

  it("an empty body", async () => {
    await expectError(await postRun(""), 400, /request body is empty; expected a JSON object/, {
      code: "invalid_json",
    });
  });

  it.each([["text/plain"], ["application/x-www-form-urlencoded"], ["multipart/form-data; boundary=x"]])(
    "Content-Type %s → 415",
    async (type) => {
      const before = await countRuns();
      const res = await postRun(body, { "Content-Type": type });
      await expectError(
        res,
        415,
        new RegExp(
          `Content-Type must be application/json \\(received "${type.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"\\)`,
        ),
        {
          param: "Content-Type",
        },
      );
      expect(await countRuns()).toBe(before);
    },
  );

  it("accepts application/json with a charset", async () => {
    // Reaches the schema (a 400 about the question), so the media type passed.
    await expectError(
      await postRun({}, { "Content-Type": "application/json; charset=utf-8" }),
      400,
      /question: is required/,
    );
  });

  it("a body over 6 MiB → 413, from Content-Length", async () => {
    const before = await countRuns();
    const big = JSON.stringify(validBody({ question: "x".repeat(6 * 1024 * 1024) }));
    await expectError(await postRun(big), 413, /request body exceeds the limit of 6 MiB/, { code: "body_too_large" });
    expect(await countRuns()).toBe(before);
  });

  it("a streamed body over 6 MiB (no Content-Length) → 413", async () => {
    const chunk = new TextEncoder().encode(" ".repeat(1024 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 8) c.enqueue(chunk);
        else c.close();
      },
    });
    const res = await SELF.fetch(`${BASE}/v1/runs`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...authHeaders() },
      body: stream,
    });
    await expectError(res, 413, /request body exceeds the limit of 6 MiB/);
  });

  it.each([
    ["k".repeat(256), /Idempotency-Key must be 1\.\.255 characters \(received 256\)/],
    ["", /Idempotency-Key must be 1\.\.255 characters \(received 0\)/],
    ["key\x7f", /Idempotency-Key must be printable ASCII; character 3 is not/],
  ])("Idempotency-Key %#", async (key, message) => {
    const before = await countRuns();
    await expectError(await postRun(body, { "Idempotency-Key": key }), 400, message, { param: "Idempotency-Key" });
    expect(await countRuns()).toBe(before);
  });

  it.each([
    ["wait=soon", /Prefer: wait must be a whole number of seconds, received "soon"/],
    ["wait=-5", /whole number of seconds/],
    ["respond-async, wait=2.5", /whole number of seconds/],
  ])("Prefer %s", async (prefer, message) => {
    const before = await countRuns();
    await expectError(await postRun(body, { Prefer: prefer }), 400, message, { param: "Prefer" });
    expect(await countRuns()).toBe(before);
  });

  it("Prefer: wait=120 is applied as far as allowed (60 s) and says so (RFC 7240 §2)", async () => {
    const res = await postRun(body, { Prefer: "wait=120" });
    expect([200, 202]).toContain(res.status);
    expect(res.headers.get("Preference-Applied")).toBe("wait=60");
    await res.body?.cancel();
  });
});
