/**
 * What an image really is, from its bytes: the format from magic numbers and the dimensions from
 * the header (PNG IHDR, JPEG SOFn). Declared types lie, and a decoder must never be handed a
 * 100,000 × 100,000 image that is a few KiB compressed.
 */

export type SniffedType = "image/png" | "image/jpeg" | "image/gif" | "image/webp";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const startsWith = (b: Uint8Array, prefix: number[], at = 0): boolean => prefix.every((v, i) => b[at + i] === v);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

export function sniffImageType(b: Uint8Array): SniffedType | undefined {
  if (startsWith(b, PNG_MAGIC)) return "image/png";
  if (startsWith(b, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(b, ascii("GIF87a")) || startsWith(b, ascii("GIF89a"))) return "image/gif";
  if (startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WEBP"), 8)) return "image/webp";
  return undefined;
}

export type Dimensions = { ok: true; width: number; height: number } | { ok: false; message: string };

const u16 = (b: Uint8Array, i: number): number => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const u32 = (b: Uint8Array, i: number): number => u16(b, i) * 65536 + u16(b, i + 2);

/** PNG: the first chunk must be IHDR (length 13), holding width and height big-endian. */
export function pngDimensions(b: Uint8Array): Dimensions {
  if (b.length < 8 + 8 + 13 + 4) return { ok: false, message: "PNG is truncated before the end of its IHDR header" };
  if (u32(b, 8) !== 13 || !startsWith(b, ascii("IHDR"), 12))
    return { ok: false, message: "PNG does not start with an IHDR chunk" };
  return { ok: true, width: u32(b, 16), height: u32(b, 20) };
}

/** SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** JPEG: walk the marker segments up to the first SOFn. */
export function jpegDimensions(b: Uint8Array): Dimensions {
  let i = 2; // after SOI
  while (i < b.length) {
    if (b[i] !== 0xff) return { ok: false, message: `JPEG has a malformed marker at byte ${i}` };
    while (b[i] === 0xff) i++; // fill bytes
    const marker = b[i];
    i++;
    if (marker === undefined) break;
    // Markers without a length field.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9 || marker === 0xda)
      return { ok: false, message: "JPEG has no frame header (SOFn) before its image data" };
    if (i + 2 > b.length) break;
    const length = u16(b, i);
    if (length < 2) return { ok: false, message: `JPEG has a malformed segment length at byte ${i}` };
    if (isSof(marker)) {
      if (i + 7 > b.length) break;
      return { ok: true, height: u16(b, i + 3), width: u16(b, i + 5) };
    }
    i += length;
  }
  return { ok: false, message: "JPEG is truncated before its frame header (SOFn)" };
}
