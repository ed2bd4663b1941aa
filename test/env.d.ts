import type { D1Migration } from "cloudflare:test";
import type { Env as AppEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends AppEnv {
      /** The D1 migrations, read by vitest.config.ts and applied by test/setup/d1.ts. */
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
export {};
