import { describe, expect, it } from "vitest";
import { cutAtStop, findStop, searchFrom } from "./stop-sequences";

describe("stop sequences", () => {
  it("finds the earliest of several stops", () => {
    expect(findStop("a</B>c</A>", ["</A>", "</B>"])).toEqual({ index: 1, stop: "</B>" });
    expect(findStop("abc", ["</A>"])).toBeUndefined();
    expect(findStop("abc", [""])).toBeUndefined();
  });

  it("cuts before the stop and drops it", () => {
    expect(cutAtStop("text</SUMMARY>more", ["</SUMMARY>"])).toEqual({ text: "text", stopped: true });
    expect(cutAtStop("text", ["</SUMMARY>"])).toEqual({ text: "text", stopped: false });
  });

  it("resumes a search early enough to catch a stop that straddles chunks", () => {
    const stops = ["</SUMMARY>"];
    const first = "abc</SUM";
    const from = searchFrom(first.length, stops);
    expect(findStop(`${first}MARY>`, stops, from)).toEqual({ index: 3, stop: "</SUMMARY>" });
    expect(searchFrom(3, stops)).toBe(0);
  });
});
