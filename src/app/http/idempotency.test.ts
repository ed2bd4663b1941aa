import { describe, expect, it } from "vitest";
import { ApiError } from "../errors";
import { bodyHash, canonicalJson, parseIdempotencyKey, sha256Hex } from "./idempotency";

describe("canonicalJson", () => {
  it("sorts keys at every level and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(canonicalJson("x")).toBe('"x"');
  });

  it("hashes equal bodies equally whatever the key order", async () => {
    expect(await bodyHash({ a: 1, b: [1, 2] })).toBe(await bodyHash({ b: [1, 2], a: 1 }));
    expect(await bodyHash({ a: 1 })).not.toBe(await bodyHash({ a: 2 }));
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("parseIdempotencyKey", () => {
  it("accepts printable ASCII up to 255 characters", () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey("order-42 retry #1")).toBe("order-42 retry #1");
    expect(parseIdempotencyKey("k".repeat(255))).toHaveLength(255);
  });

  it.each([
    ["", /1\.\.255 characters/],
    ["k".repeat(256), /1\.\.255 characters \(received 256\)/],
    ["caf\u00e9", /printable ASCII; character 3/],
    ["a\tb", /printable ASCII/],
  ])("rejects %j", (key, message) => {
    expect(() => parseIdempotencyKey(key)).toThrow(message);
    expect(() => parseIdempotencyKey(key)).toThrow(ApiError);
  });
});
