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
