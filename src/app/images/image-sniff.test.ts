import { describe, expect, it } from "vitest";
import {
  GIF_8x6_B64,
  JPEG_8x6_B64,
  JPEG_PROGRESSIVE_8x6_B64,
  PNG_8x6_B64,
  fromBase64,
  jpegClaiming,
  pngClaiming,
} from "../../../test/fixtures/images";
import { jpegDimensions, pngDimensions, sniffImageType } from "./image-sniff";

describe("sniffImageType", () => {
  it("knows the formats by their magic bytes", () => {
    expect(sniffImageType(fromBase64(PNG_8x6_B64))).toBe("image/png");
    expect(sniffImageType(fromBase64(JPEG_8x6_B64))).toBe("image/jpeg");
    expect(sniffImageType(fromBase64(GIF_8x6_B64))).toBe("image/gif");
    expect(sniffImageType(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "))).toBe("image/webp");
    expect(sniffImageType(new TextEncoder().encode("hello"))).toBeUndefined();
    expect(sniffImageType(new Uint8Array(0))).toBeUndefined();
  });
});

describe("dimensions", () => {
  it("reads PNG IHDR", () => {
    expect(pngDimensions(fromBase64(PNG_8x6_B64))).toEqual({ ok: true, width: 8, height: 6 });
    expect(pngDimensions(pngClaiming(70_000, 3))).toEqual({ ok: true, width: 70_000, height: 3 });
  });

  it("reads JPEG SOF0 and SOF2", () => {
    expect(jpegDimensions(fromBase64(JPEG_8x6_B64))).toEqual({ ok: true, width: 8, height: 6 });
    expect(jpegDimensions(fromBase64(JPEG_PROGRESSIVE_8x6_B64))).toEqual({ ok: true, width: 8, height: 6 });
    expect(jpegDimensions(jpegClaiming(5000, 4000))).toEqual({ ok: true, width: 5000, height: 4000 });
  });

  it("reports truncated or malformed headers", () => {
    const png = fromBase64(PNG_8x6_B64);
    expect(pngDimensions(png.subarray(0, 20))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/truncated/),
    });
    const notIhdr = png.slice();
    notIhdr[12] = 0x41;
    expect(pngDimensions(notIhdr)).toMatchObject({ ok: false, message: expect.stringMatching(/IHDR/) });

    const jpeg = fromBase64(JPEG_8x6_B64);
    expect(jpegDimensions(jpeg.subarray(0, 30))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/truncated/),
    });
    expect(jpegDimensions(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/no frame header/),
    });
    expect(jpegDimensions(Uint8Array.from([0xff, 0xd8, 0x00, 0x00]))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/malformed marker/),
    });
  });
});
