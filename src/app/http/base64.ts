/**
 * Strict base64 (RFC 4648 §4, with padding). `atob` alone accepts whitespace and missing
 * padding and says nothing useful when it fails; callers deserve to know which character broke.
 */

export type Base64Problem = { ok: false; message: string };
export type Base64Result = { ok: true; bytes: Uint8Array } | Base64Problem;

/** Decoded size of a well-formed base64 string of this length, before decoding it. */
export function decodedLength(b64: string): number {
  const padding = b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - padding;
}

const ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;

/** The first problem in `b64`, or undefined when it is well-formed. */
export function base64Problem(b64: string): string | undefined {
  if (/^data:/i.test(b64)) {
    return 'is a data URL; send only the base64 part (after "base64,") and put the type in media_type';
  }
  if (ALPHABET.test(b64)) {
    if (b64.length % 4 !== 0) return `has length ${b64.length}, not a multiple of 4 (base64 needs "=" padding)`;
    return undefined;
  }
  for (let i = 0; i < b64.length; i++) {
    const ch = b64[i] ?? "";
    if (/[A-Za-z0-9+/]/.test(ch)) continue;
    if (ch === "=") {
      const rest = b64.slice(i);
      if (/^=+$/.test(rest)) return `ends with ${rest.length} "=" padding characters (at most 2)`;
      return `has "=" padding at position ${i} before the end`;
    }
    if (ch === "-" || ch === "_")
      return `contains "${ch}" at position ${i}: use standard base64 (+ and /), not base64url`;
    const shown = /\s/.test(ch)
      ? `whitespace (U+${ch.codePointAt(0)?.toString(16).toUpperCase().padStart(4, "0")})`
      : `"${ch}"`;
    return `contains ${shown} at position ${i}, which is not a base64 character`;
  }
  return "is not valid base64";
}

export function decodeBase64(b64: string): Base64Result {
  const problem = base64Problem(b64);
  if (problem) return { ok: false, message: problem };
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return { ok: true, bytes };
}
