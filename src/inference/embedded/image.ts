/**
 * Image preprocessing for X1-Tiny, as in training: the model sees a size × size RGB uint8 image
 * (row-major, 3 bytes per pixel, no further normalisation here: the graph does (x/255 − 0.5)/0.25).
 * X1-Shapes images are exactly 72 × 72 RGB PNGs, which pass through unchanged (the parity test
 * checks the bytes against the training tensor). Anything else is composited over white (alpha)
 * and area-resampled to size × size (the whole image, aspect ratio not kept).
 */
import jpeg from "jpeg-js";
import { decodePng, type Rgba } from "./png";

export async function decodeImage(bytes: Uint8Array, mediaType?: string): Promise<Rgba> {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  if (isPng || (!isJpeg && mediaType === "image/png")) return decodePng(bytes);
  if (isJpeg || mediaType === "image/jpeg") {
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: 16,
      maxMemoryUsageInMB: 64,
    });
    return {
      width: img.width,
      height: img.height,
      data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength),
    };
  }
  throw new Error(`the embedded model reads PNG and JPEG images (got ${mediaType ?? "unknown type"})`);
}

/** RGBA → size × size × 3 uint8: alpha over white, then an area-weighted (box) resample. */
export function toModelImage(img: Rgba, size: number): Uint8Array {
  const { width: w, height: h, data } = img;
  const rgb = new Float64Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const a = (data[i * 4 + 3] as number) / 255;
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = (data[i * 4 + c] as number) * a + 255 * (1 - a);
  }
  const out = new Uint8Array(size * size * 3);
  if (w === size && h === size) {
    for (let i = 0; i < out.length; i++) out[i] = Math.round(rgb[i] as number);
    return out;
  }
  const sx = w / size,
    sy = h / size;
  for (let oy = 0; oy < size; oy++) {
    const y0 = oy * sy,
      y1 = y0 + sy;
    for (let ox = 0; ox < size; ox++) {
      const x0 = ox * sx,
        x1 = x0 + sx;
      const acc = [0, 0, 0];
      let area = 0;
      for (let y = Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
          const wgt = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          if (wgt <= 0) continue;
          area += wgt;
          for (let c = 0; c < 3; c++) acc[c] = (acc[c] as number) + wgt * (rgb[(y * w + x) * 3 + c] as number);
        }
      }
      for (let c = 0; c < 3; c++) out[(oy * size + ox) * 3 + c] = Math.round((acc[c] as number) / area);
    }
  }
  return out;
}
