// Every test file starts with the D1 schema applied (migrations/ read in vitest.config.ts).
// applyD1Migrations records what it applied, so a second file finds nothing left to do.
import { applyD1Migrations, env } from "cloudflare:test";

if (env.DB) await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
