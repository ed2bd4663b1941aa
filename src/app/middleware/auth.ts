/**
 * Authentication middleware (docs/keys-and-billing.md): API keys on `/v1/*`, the admin secret on `/admin/*`.
 * Each checks first that the deployment has real secrets (a 503 naming the one to set). Every
 * failure is a JSON error saying what was wrong: missing, malformed, unknown or revoked.
 */
import type { Context, MiddlewareHandler } from "hono";
import { secretsEqual } from "../../platform/crypto";
import { configProblem } from "../../platform/deployment";
import { devKeyFor } from "../../platform/dev-key";
import { API_KEY_PATTERN, findKeyBySecret } from "../../platform/keys";
import { ApiError } from "../errors";
import type { Env } from "../../env";
import type { AppEnv } from "../types";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="llava-x1-edge"' };

export class AuthError extends ApiError {
  constructor(message: string, code: string) {
    // RFC 6750 §3: a 401 carries the challenge.
    super(401, "authentication_error", message, { param: "Authorization", code, headers: CHALLENGE });
  }
}

/** 503 when the deployment lacks real secrets; else the D1 database. */
export function platformDb(c: { env: Env }): D1Database {
  const problem = configProblem(c.env);
  if (problem || !c.env.DB) {
    throw new ApiError(503, "api_error", `this deployment is not configured: ${problem ?? "no D1 binding DB"}`, {
      code: "deployment_not_configured",
    });
  }
  return c.env.DB;
}

/** The bearer token, or an AuthError naming what is wrong with the header. */
function bearerToken(c: Context<AppEnv>, what: string, example: string): string {
  const header = c.req.header("Authorization");
  if (header === undefined || header.trim() === "") {
    throw new AuthError(
      `missing ${what}: send the header \`Authorization: Bearer ${example}\``,
      `missing_${what.replaceAll(" ", "_")}`,
    );
  }
  const m = /^Bearer +(\S+)\s*$/i.exec(header);
  if (!m?.[1])
    throw new AuthError(`malformed Authorization header: expected \`Bearer ${example}\``, "malformed_authorization");
  return m[1];
}

export function apiKeyAuth(): MiddlewareHandler<AppEnv> {
  return async function apiKeyAuth(c, next) {
    const db = platformDb(c);
    const token = bearerToken(c, "api key", "sk_…");
    if (!API_KEY_PATTERN.test(token)) {
      throw new AuthError(
        "malformed API key: keys look like `sk_` followed by letters, digits and underscores",
        "malformed_api_key",
      );
    }
    const key = (await findKeyBySecret(db, token)) ?? (await devKeyFor(c.env, db, token));
    if (!key)
      throw new AuthError(
        "unknown API key: no such key (check for typos, or create one with POST /admin/keys)",
        "invalid_api_key",
      );
    if (key.revoked_at !== null) {
      throw new AuthError(
        `API key ${key.id} was revoked at ${new Date(key.revoked_at).toISOString()}; use another key`,
        "key_revoked",
      );
    }
    c.set("apiKey", key);
    await next();
  };
}

export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
    platformDb(c);
    const token = bearerToken(c, "admin secret", "<ADMIN_SECRET>");
    if (!(await secretsEqual(token, c.env.ADMIN_SECRET ?? ""))) {
      throw new ApiError(
        403,
        "permission_error",
        "the admin secret is wrong: /admin routes need `Authorization: Bearer <ADMIN_SECRET>`",
        {
          param: "Authorization",
          code: "invalid_admin_secret",
        },
      );
    }
    await next();
  };
}
