/**
 * Workers AI binding errors → BackendError. The binding throws plain Errors whose message carries
 * Cloudflare's internal code (e.g. `AiError: 3040: Capacity temporarily exceeded`), sometimes a
 * status. The codes follow Cloudflare's error table (developers.cloudflare.com/workers-ai/platform/errors):
 * capacity and timeouts can be retried; a missing licence agreement, a bad model or bad input cannot.
 */
import { BackendError, isRetryableStatus } from "./backend";

/** The one-off step that accepts Meta's licence for an account (docs/backends.md, "Workers AI"). */
export function licenceGuidance(model: string): string {
  return (
    `the Cloudflare account has not accepted the licence of ${model} (Meta's licence and acceptable use policy). ` +
    `Accept it once per account by sending the model the prompt "agree": ` +
    `curl https://api.cloudflare.com/client/v4/accounts/$CLOUDFLARE_ACCOUNT_ID/ai/run/${model} ` +
    `-H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" -d '{"prompt":"agree"}' — then retry`
  );
}

interface CodeRule {
  status: number;
  retryable: boolean;
  what: string;
}

const CODES: Record<number, CodeRule> = {
  3003: { status: 400, retryable: false, what: "incomplete request" },
  3006: { status: 413, retryable: false, what: "request too large" },
  3007: { status: 408, retryable: true, what: "timeout" },
  3008: { status: 408, retryable: true, what: "aborted upstream" },
  3023: { status: 403, retryable: false, what: "account blocked" },
  // A used-up daily allocation does not come back within a run's retries.
  3036: { status: 429, retryable: false, what: "account limited (daily allocation used up)" },
  3039: { status: 400, retryable: false, what: "fine-tune is missing files" },
  3040: { status: 429, retryable: true, what: "out of capacity" },
  3041: { status: 403, retryable: false, what: "account not allowed for this model" },
  3042: { status: 404, retryable: false, what: "invalid model id" },
  5004: { status: 400, retryable: false, what: "invalid data" },
  5005: { status: 405, retryable: false, what: "LoRA not supported by this model" },
  5007: { status: 400, retryable: false, what: "no such model" },
  5016: { status: 403, retryable: false, what: "licence not accepted" },
  5018: { status: 403, retryable: false, what: "account not allowed for this model" },
  5019: { status: 405, retryable: false, what: "deprecated SDK" },
};

/** Local `wrangler dev` / tests with `remote = false`: the binding exists but refuses every call. */
const REMOTE_ONLY = /needs to be run remotely|must be run remotely|remote bindings? (are|is) (disabled|not)/i;
const LICENCE = /\bagree(d|ment)?\b|licen[cs]e|model terms|acceptable use/i;
const CAPACITY =
  /capacity|overloaded|too many requests|rate.?limit|temporarily|unavailable|try again|network|connection|internal (server )?error|upstream/i;
const INVALID =
  /invalid|required propert|must (be|have|not)|schema|unknown (key|propert)|not allowed|no such model|unsupported/i;

function codeOf(message: string): number | undefined {
  const m = /\b([35]\d{3})\b\s*:/.exec(message) ?? /"?code"?\s*[:=]\s*([35]\d{3})\b/.exec(message);
  return m ? Number(m[1]) : undefined;
}

function statusOf(err: unknown, message: string): number | undefined {
  const own = (err as { status?: unknown } | null)?.status;
  if (typeof own === "number" && own >= 400 && own < 600) return own;
  const m = /\b(?:status|http)\s*:?\s*([45]\d{2})\b/i.exec(message) ?? /\(([45]\d{2})\)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

export function toWorkersAiError(err: unknown, model: string): BackendError {
  if (err instanceof BackendError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = codeOf(message);
  const rule = code === undefined ? undefined : CODES[code];
  if (code === 5016 || LICENCE.test(message)) {
    return new BackendError(`workers-ai: ${licenceGuidance(model)} (${message})`, false, 403);
  }
  if (REMOTE_ONLY.test(message)) {
    return new BackendError(
      `workers-ai ${model}: the AI binding only works against Cloudflare (no local simulation): run \`npx wrangler dev --remote\` ` +
        `(logged in), or deploy; locally, serve another backend (${message})`,
      false,
      503,
    );
  }
  if (rule) return new BackendError(`workers-ai ${model}: ${rule.what}: ${message}`, rule.retryable, rule.status);
  const status = statusOf(err, message);
  if (status !== undefined)
    return new BackendError(`workers-ai ${model}: ${message}`, isRetryableStatus(status), status);
  if (CAPACITY.test(message)) return new BackendError(`workers-ai ${model}: ${message}`, true);
  if (INVALID.test(message)) return new BackendError(`workers-ai ${model}: rejected the input: ${message}`, false, 400);
  // Anything else from the binding (a dropped connection, an unexpected internal error) is most
  // often transient; the executor gives up after its attempt limit.
  return new BackendError(`workers-ai ${model}: ${message}`, true);
}
