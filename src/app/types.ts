import type { RequestIdVariables } from "hono/request-id";
import type { Env } from "../env";

/** The Hono generic shared by every route: bindings arrive per request (no module singletons). */
export interface AppEnv {
  Bindings: Env;
  Variables: RequestIdVariables;
}
