/**
 * Reading a JSON request body without trusting the caller: the media type is checked first, the
 * size cap is enforced while streaming (Content-Length can be absent or lie), and a parse error
 * says where the JSON broke.
 */
import { ApiError, invalidRequest } from "../errors";
import { formatBytes } from "./limits";

/** Read a stream into one buffer, failing as soon as more than `max` bytes have arrived. */
export async function readCapped(
  stream: ReadableStream<Uint8Array>,
  max: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export function isJsonMediaType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  const essence = contentType.split(";", 1)[0]?.trim().toLowerCase();
  return essence === "application/json";
}

/** Parse the body of `req` as JSON (any JSON value; the schema decides what shape it must have). */
export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const contentType = req.headers.get("Content-Type");
  if (!isJsonMediaType(contentType)) {
    throw new ApiError(
      415,
      "invalid_request_error",
      `Content-Type must be application/json (received ${contentType ? `"${contentType}"` : "none"})`,
      {
        param: "Content-Type",
        code: "unsupported_media_type",
      },
    );
  }
  const tooLarge = () =>
    new ApiError(
      413,
      "invalid_request_error",
      `request body exceeds the limit of ${formatBytes(maxBytes)} (limit: body ≤ ${maxBytes} bytes)`,
      {
        code: "body_too_large",
      },
    );
  const declared = req.headers.get("Content-Length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw tooLarge();

  const bytes = req.body ? await readCapped(req.body, maxBytes, tooLarge) : new Uint8Array(0);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw invalidRequest("request body is not valid UTF-8", undefined, "invalid_json");
  }
  if (text.trim() === "")
    throw invalidRequest("request body is empty; expected a JSON object", undefined, "invalid_json");
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8's message carries the position ("... in JSON at position 12 (line 1 column 13)").
    const detail = e instanceof SyntaxError ? e.message : String(e);
    throw invalidRequest(`request body is not valid JSON: ${detail}`, undefined, "invalid_json");
  }
}
