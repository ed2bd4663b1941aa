// Every test file starts with the D1 schema applied (migrations/ read in vitest.config.ts).
// applyD1Migrations records what it applied, so a second file finds nothing left to do.
import { applyD1Migrations, env } from "cloudflare:test";

if (env.DB) await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// The suite runs the full build (src/index.ts), whose entry makes the embedded backend available;
// test files that reach the registry without going through that entry get it here too.
import "../../src/inference/embedded/register";
