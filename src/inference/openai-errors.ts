/**
 * HTTP failures of an OpenAI-compatible server → BackendError, following HTTP practice:
 * 408, 409, 429 and ≥ 500 can be retried (with the server's Retry-After as a floor); 400, 401,
 * 403, 404 and other 4xx cannot. The message is the server's own, from whichever error shape it
 * uses (OpenAI `{error:{message}}`, vLLM `{message}`, TGI `{error:"…"}`).
 */
import { BackendError, isRetryableStatus } from "./backend";

/** `Retry-After` (seconds or an HTTP-date) or `retry-after-ms`, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error message inside a body, or a trimmed excerpt of it. */
export function errorMessageFromBody(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown; detail?: unknown };
    const e = json.error;
    if (e && typeof e === "object" && typeof (e as { message?: unknown }).message === "string")
      return (e as { message: string }).message;
    if (typeof e === "string") return e;
    if (typeof json.message === "string") return json.message;
    if (typeof json.detail === "string") return json.detail;
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = body.replace(/\s+/g, " ").trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text || "(empty body)";
}

/** Does a 400 say the server refuses `n` > 1 (e.g. "n must be 1", `param: "n"`, "best_of")? */
export function rejectsN(status: number, body: string): boolean {
  if (status !== 400 && status !== 422) return false;
  try {
    const json = JSON.parse(body) as { error?: { param?: unknown }; param?: unknown };
    if (json.error?.param === "n" || json.param === "n") return true;
  } catch {
    // check the text below
  }
  return /(^|[^A-Za-z0-9_])[`'"]?n[`'"]?\s*(must|should|>|=|is|not|only|parameter|greater|larger)|only n\s*=\s*1|\bn\s*>\s*1|multiple (choices|completions|samples)/i.test(
    errorMessageFromBody(body),
  );
}

export function httpError(
  status: number,
  body: string,
  headers: Headers,
  where: string,
  now: number = Date.now(),
): BackendError {
  const message = errorMessageFromBody(body);
  const retryable = isRetryableStatus(status);
  let what: string;
  if (status === 401 || status === 403) what = `${status} authentication failed (check OPENAI_API_KEY)`;
  else if (status === 404) what = "404 not found (check OPENAI_BASE_URL and the served model name)";
  else what = String(status);
  return new BackendError(
    `${where}: ${what}: ${message}`,
    retryable,
    status,
    retryable ? retryAfterMs(headers, now) : undefined,
  );
}
