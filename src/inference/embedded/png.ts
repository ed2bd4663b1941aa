/**
 * A small PNG decoder on the platform's DecompressionStream (no dependency): 8- and 16-bit
 * grey, grey+alpha, RGB, RGBA, and 1/2/4/8-bit palette and grey images, non-interlaced.
 * Returns RGBA, 8 bits per channel.
 */
export interface Rgba {
  width: number;
  height: number;
  /** width × height × 4 bytes, row-major. */
  data: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const MAX_PIXELS = 4096 * 4096;

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a),
    pb = Math.abs(p - b),
    pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export async function decodePng(bytes: Uint8Array): Promise<Rgba> {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error("not a PNG file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0,
    height = 0,
    depth = 0,
    colour = 0,
    interlace = 0;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (body.length !== length) throw new Error("truncated PNG file");
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      depth = body[8] as number;
      colour = body[9] as number;
      interlace = body[12] as number;
    } else if (type === "PLTE") palette = body;
    else if (type === "tRNS") transparency = body;
    else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  const channels = CHANNELS[colour];
  if (!width || !height || channels === undefined) throw new Error("PNG: missing or invalid IHDR");
  if (width * height > MAX_PIXELS) throw new Error(`PNG: ${width}×${height} is too large`);
  if (interlace !== 0) throw new Error("PNG: interlaced images are not supported");
  if (![1, 2, 4, 8, 16].includes(depth)) throw new Error(`PNG: bit depth ${depth} is not supported`);
  if (colour === 3 && !palette) throw new Error("PNG: palette image without PLTE");
  const joined = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  idat.reduce((k, c) => (joined.set(c, k), k + c.length), 0);
  let raw: Uint8Array;
  try {
    raw = await inflate(joined);
  } catch (err) {
    throw new Error(`PNG: corrupt image data (${err instanceof Error ? err.message : String(err)})`);
  }

  const bitsPerPixel = channels * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  if (raw.length < height * (stride + 1)) throw new Error("PNG: image data is truncated");
  const lines = new Uint8Array(height * stride);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    if (filter > 4) throw new Error(`PNG: unknown filter ${filter}`);
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = lines.subarray(y * stride, (y + 1) * stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? (cur[x - bpp] as number) : 0;
      const b = prev[x] as number;
      const c = x >= bpp ? (prev[x - bpp] as number) : 0;
      const s = src[x] as number;
      cur[x] =
        filter === 0
          ? s
          : filter === 1
            ? s + a
            : filter === 2
              ? s + b
              : filter === 3
                ? s + ((a + b) >> 1)
                : s + paeth(a, b, c);
    }
    prev = cur;
  }

  const out = new Uint8Array(width * height * 4);
  const sample = (row: Uint8Array, index: number): number => {
    // The index-th sample of a row, scaled to 0..255 for grey (palette indices are returned raw).
    if (depth === 8) return row[index] as number;
    if (depth === 16) return row[index * 2] as number;
    const perByte = 8 / depth;
    const byte = row[Math.floor(index / perByte)] as number;
    const shift = 8 - depth * ((index % perByte) + 1);
    return (byte >> shift) & ((1 << depth) - 1);
  };
  const greyScale = depth < 8 ? 255 / ((1 << depth) - 1) : 1;
  const trnsGrey = transparency && colour === 0 ? (transparency[1] as number) : -1;
  for (let y = 0; y < height; y++) {
    const row = lines.subarray(y * stride, (y + 1) * stride);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (colour === 3) {
        const i = sample(row, x);
        out[o] = palette?.[i * 3] ?? 0;
        out[o + 1] = palette?.[i * 3 + 1] ?? 0;
        out[o + 2] = palette?.[i * 3 + 2] ?? 0;
        out[o + 3] = transparency?.[i] ?? 255;
      } else if (colour === 0 || colour === 4) {
        const raw8 = sample(row, x * channels);
        const g = Math.round(raw8 * greyScale);
        out[o] = out[o + 1] = out[o + 2] = g;
        out[o + 3] = colour === 4 ? sample(row, x * channels + 1) : depth <= 8 && raw8 === trnsGrey ? 0 : 255;
      } else {
        out[o] = sample(row, x * channels);
        out[o + 1] = sample(row, x * channels + 1);
        out[o + 2] = sample(row, x * channels + 2);
        out[o + 3] = colour === 6 ? sample(row, x * channels + 3) : 255;
      }
    }
  }
  return { width, height, data: out };
}
