/**
 * PNG to 8-bit RGBA with fast-png: every colour type and bit depth, palettes with transparency,
 * and interlaced (Adam7) images. Errors say what is wrong with the file.
 */
import { decode } from "fast-png";

export interface Rgba {
  width: number;
  height: number;
  /** width × height × 4 bytes, row-major. */
  data: Uint8Array;
}

const MAX_PIXELS = 4096 * 4096;

export function decodePng(bytes: Uint8Array): Rgba {
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (err) {
    throw new Error(`PNG: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { width, height, data, depth, channels, palette, transparency } = png;
  if (!width || !height) throw new Error("PNG: missing or invalid IHDR");
  if (width * height > MAX_PIXELS) throw new Error(`PNG: ${width}×${height} is too large`);
  // Below 8 bits, fast-png returns the rows packed (each row starts on a byte).
  const stride = Math.ceil((width * channels * depth) / 8);
  if (depth < 8 ? data.length < height * stride : data.length < width * height * channels)
    throw new Error("PNG: image data is truncated");
  const perByte = 8 / depth;
  const at = (i: number, c: number): number => {
    if (depth >= 8) return data[i * channels + c] as number;
    const y = Math.floor(i / width);
    const k = (i - y * width) * channels + c;
    const byte = data[y * stride + Math.floor(k / perByte)] as number;
    return (byte >> (8 - depth * ((k % perByte) + 1))) & ((1 << depth) - 1);
  };
  const out = new Uint8Array(width * height * 4);
  // Samples as 0..255: 16-bit keep their high byte, grey below 8 bits is scaled up.
  const max = (1 << depth) - 1;
  const to8 =
    depth === 16 ? (v: number) => v >> 8 : depth < 8 ? (v: number) => Math.round((v * 255) / max) : (v: number) => v;
  // tRNS for grey/RGB: the one colour that is fully transparent (in the image's own bit depth).
  const key = !palette && transparency && transparency.length >= channels ? transparency : undefined;
  for (let i = 0; i < width * height; i++) {
    const o = i * 4;
    if (palette) {
      const entry = palette[at(i, 0)] ?? [0, 0, 0];
      out[o] = entry[0] as number;
      out[o + 1] = entry[1] as number;
      out[o + 2] = entry[2] as number;
      out[o + 3] = entry.length > 3 ? (entry[3] as number) : 255;
    } else if (channels <= 2) {
      const g = at(i, 0);
      out[o] = out[o + 1] = out[o + 2] = to8(g);
      out[o + 3] = channels === 2 ? to8(at(i, 1)) : key && g === key[0] ? 0 : 255;
    } else {
      const r = at(i, 0),
        gr = at(i, 1),
        b = at(i, 2);
      out[o] = to8(r);
      out[o + 1] = to8(gr);
      out[o + 2] = to8(b);
      out[o + 3] = channels === 4 ? to8(at(i, 3)) : key && r === key[0] && gr === key[1] && b === key[2] ? 0 : 255;
    }
  }
  return { width, height, data: out };
}
