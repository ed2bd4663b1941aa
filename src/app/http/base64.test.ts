import { describe, expect, it } from "vitest";
import { base64Problem, decodeBase64, decodedLength } from "./base64";

describe("strict base64", () => {
  it("decodes padded base64", () => {
    const r = decodeBase64("aGVsbG8=");
    expect(r.ok && new TextDecoder().decode(r.bytes)).toBe("hello");
    expect(decodedLength("aGVsbG8=")).toBe(5);
    expect(decodedLength("aGVsbA==")).toBe(4);
    expect(decodedLength("aGVs")).toBe(3);
  });

  it.each([
    ["data:image/png;base64,aGVs", /data URL/],
    ["aGVsbG8", /not a multiple of 4/],
    ["aGV=bG8=", /"=" padding at position 3/],
    ["aGVs bG8=", /whitespace \(U\+0020\) at position 4/],
    ["aGVs\nbG8=", /whitespace \(U\+000A\)/],
    ["aGV-bG8=", /base64url/],
    ["aGV*bG8=", /"\*" at position 3/],
    ["aGVsbG8===", /ends with 3 "=" padding characters/],
  ])("rejects %j", (input, message) => {
    expect(base64Problem(input)).toMatch(message);
    expect(decodeBase64(input).ok).toBe(false);
  });
});
