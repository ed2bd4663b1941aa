import { describe, expect, it } from "vitest";
import { formatSseFrame, sseComment } from "../../shared/sse-frame";
import { parseResumePoint } from "./sse";

describe("formatSseFrame", () => {
  it("writes id, event and JSON data, ending with a blank line", () => {
    expect(formatSseFrame({ id: 3, event: "stage.started", data: { stage: "CAPTION" } })).toBe(
      'id: 3\nevent: stage.started\ndata: {"stage":"CAPTION"}\n\n',
    );
  });

  it("splits multi-line text into several data fields", () => {
    expect(formatSseFrame({ data: "a\nb\r\nc" })).toBe("data: a\ndata: b\ndata: c\n\n");
    expect(sseComment("keep\nalive")).toBe(": keep alive\n\n");
  });
});

describe("parseResumePoint", () => {
  it("prefers Last-Event-ID over ?after=, defaulting to 0", () => {
    expect(parseResumePoint(undefined, undefined)).toBe(0);
    expect(parseResumePoint("12", "3")).toBe(12);
    expect(parseResumePoint(null, "3")).toBe(3);
    expect(parseResumePoint(" 7 ", undefined)).toBe(7);
  });

  it.each(["-1", "1.5", "abc", "", "1e3", "99999999999999999"])("rejects Last-Event-ID %j", (v) => {
    expect(() => parseResumePoint(v, undefined)).toThrow(/Last-Event-ID must be a non-negative integer/);
  });

  it("names ?after= when that is the bad one", () => {
    expect(() => parseResumePoint(undefined, "x")).toThrow(/^after must be/);
  });
});
