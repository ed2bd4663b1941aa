import { describe, expect, it } from "vitest";
import { decodeImage, toModelImage } from "../../src/inference/embedded/image";
import { sha256Hex } from "../../src/inference/embedded/loader";
import { JPEG_8x6_B64, PNG_8x6_B64, PNG_INTERLACED_9x7_B64, fromBase64 } from "../fixtures/images";
import { SAMPLES, sample } from "./helpers";

describe("image preprocessing, as in training", () => {
  it("turns every committed sample PNG into exactly the training tensor (SHA-256 from the Python side)", async () => {
    expect(SAMPLES.length).toBeGreaterThanOrEqual(8);
    for (const v of SAMPLES) {
      const { png } = sample(v.family);
      const rgb = toModelImage(await decodeImage(png, "image/png"), 72);
      expect(rgb.length).toBe(72 * 72 * 3);
      expect(Array.from(rgb.subarray(0, 12))).toEqual(v.first_pixels);
      expect(rgb.reduce((s, b) => s + b, 0)).toBe(v.sum);
      expect(await sha256Hex(rgb), v.image).toBe(v.sha256);
    }
  });

  it("decodes a JPEG and a PNG of another size, and resamples them to 72×72 (a red image with a blue square)", async () => {
    for (const [b64, type] of [
      [JPEG_8x6_B64, "image/jpeg"],
      [PNG_8x6_B64, "image/png"],
    ] as const) {
      const img = await decodeImage(fromBase64(b64), type);
      expect([img.width, img.height]).toEqual([8, 6]);
      const rgb = toModelImage(img, 72);
      expect(rgb.length).toBe(72 * 72 * 3);
      const [r, g, b] = rgb.subarray(0, 3);
      expect(r).toBeGreaterThan(150);
      expect(g).toBeLessThan(80);
      expect(b).toBeLessThan(80);
    }
  });

  it("decodes an interlaced (Adam7) PNG pixel for pixel", async () => {
    const img = await decodeImage(fromBase64(PNG_INTERLACED_9x7_B64), "image/png");
    expect([img.width, img.height]).toEqual([9, 7]);
    for (let y = 0; y < 7; y++)
      for (let x = 0; x < 9; x++) {
        const o = (y * 9 + x) * 4;
        expect(Array.from(img.data.subarray(o, o + 4)), `${x},${y}`).toEqual([
          (28 * x) % 256,
          (36 * y) % 256,
          (17 * (x + y)) % 256,
          255,
        ]);
      }
  });

  it("rejects what it cannot read with a clear error", async () => {
    await expect(decodeImage(new Uint8Array([1, 2, 3, 4]), "image/gif")).rejects.toThrow(/PNG and JPEG/);
    await expect(decodeImage(fromBase64(PNG_8x6_B64).subarray(0, 40), "image/png")).rejects.toThrow(/PNG/);
  });
});
