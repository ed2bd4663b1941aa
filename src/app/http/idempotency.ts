/**
 * Idempotency-Key handling (in the spirit of draft-ietf-httpapi-idempotency-key-header): the key
 * picks the run's Durable Object by name, and a hash of the body tells a retry (same body) from a
 * misuse (same key, different body → 409).
 */
import { invalidRequest } from "../errors";
import { IDEMPOTENCY_KEY_CHARS } from "./limits";

/**
 * JSON with object keys sorted at every level, so that `{"a":1,"b":2}` and `{"b":2, "a":1}` are
 * the same request. Arrays keep their order (order is meaningful there).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const bodyHash = (body: unknown): Promise<string> => sha256Hex(canonicalJson(body));

/** The header's value when present and valid; undefined when absent; a 400 otherwise. */
export function parseIdempotencyKey(header: string | null | undefined): string | undefined {
  if (header === null || header === undefined) return undefined;
  const { min, max } = IDEMPOTENCY_KEY_CHARS;
  if (header.length < min || header.length > max) {
    throw invalidRequest(
      `Idempotency-Key must be ${min}..${max} characters (received ${header.length})`,
      "Idempotency-Key",
      "invalid_idempotency_key",
    );
  }
  // Printable ASCII only: the key becomes part of a Durable Object name and shows up in logs.
  const bad = [...header].findIndex((ch) => ch < " " || ch > "~");
  if (bad >= 0) {
    throw invalidRequest(
      `Idempotency-Key must be printable ASCII; character ${bad} is not`,
      "Idempotency-Key",
      "invalid_idempotency_key",
    );
  }
  return header;
}
