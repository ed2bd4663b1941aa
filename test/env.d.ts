import type { Env as AppEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging needs the empty body
    interface Env extends AppEnv {}
  }
}
export {};
