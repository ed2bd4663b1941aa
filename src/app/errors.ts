/**
 * One error type for the API and one place that turns any failure into the JSON error shape of
 * docs/api.md, Errors: `{ "error": { "type", "message", "param"?, "code"? } }`.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import { describeZodError } from "./zod-messages";

export type ErrorType =
  | "invalid_request_error"
  | "not_found_error"
  | "method_not_allowed_error"
  | "idempotency_error"
  | "authentication_error"
  | "permission_error"
  | "rate_limit_error"
  | "budget_error"
  | "api_error";

export interface ErrorBody {
  error: { type: ErrorType; message: string; param?: string; code?: string; request_id?: string };
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly param?: string;
  readonly code?: string;
  /** Response headers the error needs (`Retry-After`, `WWW-Authenticate`). */
  readonly headers?: Record<string, string>;
  constructor(
    readonly status: ContentfulStatusCode,
    readonly type: ErrorType,
    message: string,
    options: { param?: string; code?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.param = options.param;
    this.code = options.code;
    this.headers = options.headers;
  }
}

/** Shorthand for the common 400. */
export const invalidRequest = (message: string, param?: string, code?: string): ApiError =>
  new ApiError(400, "invalid_request_error", message, { param, code });

export function errorBody(
  type: ErrorType,
  message: string,
  extra: { param?: string; code?: string; request_id?: string } = {},
): ErrorBody {
  const error: ErrorBody["error"] = { type, message };
  if (extra.param !== undefined) error.param = extra.param;
  if (extra.code !== undefined) error.code = extra.code;
  if (extra.request_id !== undefined) error.request_id = extra.request_id;
  return { error };
}

function requestIdOf(c: Context): string | undefined {
  const id: unknown = c.get("requestId");
  return typeof id === "string" ? id : undefined;
}

export const onError: ErrorHandler = function onError(err, c) {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.type, err.message, { param: err.param, code: err.code }), err.status, err.headers);
  }
  if (err instanceof ZodError) {
    const { message, param } = describeZodError(err);
    return c.json(errorBody("invalid_request_error", message, { param, code: "invalid_parameter" }), 400);
  }
  if (err instanceof HTTPException && err.status < 500) {
    return c.json(errorBody("invalid_request_error", err.message || "bad request"), err.status);
  }
  const table = missingTable(err);
  if (table) {
    // A deployment whose D1 migrations were never applied: the operator's to fix, and say how.
    console.error(`D1 has no ${table}: the migrations were not applied`);
    return c.json(
      errorBody(
        "api_error",
        `this deployment is not set up: its database has no ${table}. Apply the D1 migrations: \`npx wrangler d1 migrations apply DB --local\` for \`npm start\` (npm start does it), \`--remote\` for a deployment (docs/deploy.md)`,
        { code: "database_not_migrated" },
      ),
      503,
      { "Retry-After": "60" },
    );
  }
  const transient = transientFailure(err);
  if (transient) {
    // Storage or a Durable Object under pressure: nothing the caller did, and worth retrying.
    console.warn(`transient failure (request ${requestIdOf(c) ?? "?"}): ${transient}`);
    return c.json(
      errorBody(
        "api_error",
        `the service is overloaded right now (${transient}); retry in a second — with the same Idempotency-Key for a POST, so that a run already created is not created again`,
        { code: "temporarily_unavailable" },
      ),
      503,
      { "Retry-After": "1" },
    );
  }
  // Anything else is our bug, never the caller's input: log it, answer without internals.
  const request_id = requestIdOf(c);
  console.error(`unhandled error (request ${request_id ?? "?"})`, err);
  return c.json(
    errorBody("api_error", `internal error; quote request id ${request_id ?? "unknown"} when reporting it`, {
      code: "internal_error",
      request_id,
    }),
    500,
  );
};

/**
 * What a D1 error says is missing — `table "api_keys"` for "no such table: api_keys", `column
 * "content_hash"` for a later migration's column — searching the cause chain; null otherwise.
 */
export function missingTable(err: unknown): string | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const m = /no such (table|column): ([\w.]+)|has no (column) named ([\w.]+)/i.exec(e.message);
    if (m) return `${(m[1] ?? m[3])?.toLowerCase()} "${m[2] ?? m[4]}"`;
  }
  return null;
}

/**
 * A failure of the platform rather than of our code or the request, searching the cause chain:
 * a Durable Object error Cloudflare marks `overloaded` or `retryable`, or SQLite out of memory or
 * busy (seen in local workerd with over a thousand live run objects). A short description, or null.
 */
export function transientFailure(err: unknown): string | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const flags = e as { overloaded?: unknown; retryable?: unknown };
    if (flags.overloaded === true) return "a Durable Object is overloaded";
    const sqlite = /SQLITE_(NOMEM|BUSY|LOCKED|FULL|IOERR)/.exec(e.message);
    if (sqlite) return `storage: ${sqlite[0]}`;
    if (flags.retryable === true) return "a Durable Object could not be reached";
  }
  return null;
}

export const onNotFound: NotFoundHandler = function onNotFound(c) {
  return c.json(
    errorBody("not_found_error", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`, {
      code: "route_not_found",
    }),
    404,
  );
};

export function methodNotAllowedResponse(c: Context, allowed: string[]): Response {
  const allow = allowed.join(", ");
  return c.json(
    errorBody(
      "method_not_allowed_error",
      `${c.req.method} is not allowed on ${new URL(c.req.url).pathname} (allowed: ${allow})`,
      { code: "method_not_allowed" },
    ),
    405,
    { Allow: allow },
  );
}
