import { describe, expect, it } from "vitest";
import { parsePreferWait } from "./prefer";

describe("parsePreferWait", () => {
  it("reads wait among other preferences", () => {
    expect(parsePreferWait(undefined)).toBeUndefined();
    expect(parsePreferWait("respond-async")).toBeUndefined();
    expect(parsePreferWait("wait=5")).toBe(5);
    expect(parsePreferWait("respond-async, wait=10")).toBe(10);
    expect(parsePreferWait("WAIT = 0")).toBe(0);
    expect(parsePreferWait('wait="60"')).toBe(60);
    expect(parsePreferWait("wait=3;foo=bar")).toBe(3);
    // Longer than allowed: applied as far as it can be (RFC 7240 §2).
    expect(parsePreferWait("wait=61")).toBe(60);
    expect(parsePreferWait("wait=120")).toBe(60);
    expect(parsePreferWait("wait=999999999999")).toBe(60);
  });

  it.each([
    ["wait=-1", /whole number of seconds, received "-1"/],
    ["wait=1.5", /whole number/],
    ["wait=", /whole number/],
    ["wait", /whole number/],
    ["wait=abc", /whole number/],
  ])("rejects %j", (header, message) => {
    expect(() => parsePreferWait(header)).toThrow(message);
  });
});
