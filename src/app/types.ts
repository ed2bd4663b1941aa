import type { Context } from "hono";
import type { RequestIdVariables } from "hono/request-id";
import type { Env } from "../env";
import type { ApiKeyWithSecret } from "../platform/keys";

/** The Hono generic shared by every route: bindings arrive per request (no module singletons). */
export interface AppEnv {
  Bindings: Env;
  Variables: RequestIdVariables & {
    /** The caller's API key, set by the auth middleware on every `/v1` route. */
    apiKey: ApiKeyWithSecret;
  };
}

/**
 * Who asks for a run, and with which bindings: what creating a run needs of a request, so that a
 * batch (a Durable Object, no request at hand) creates its runs through the same code.
 */
export interface Caller {
  env: Env;
  key: ApiKeyWithSecret;
}

export const callerOf = (c: Context<AppEnv>): Caller => ({ env: c.env, key: c.get("apiKey") });
