import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// The D1 schema, applied inside workerd by test/setup/d1.ts.
const migrations = await readD1Migrations("./migrations");
// The suite's API key: the same value as TEST_API_KEY in test/helpers/auth.ts (a test checks it).
const TEST_API_KEY = "sk_test_0123456789abcdef0123456789abcdef";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // No Cloudflare account here: the remote-only AI binding is left unbound in tests.
      remoteBindings: false,
      // Retries back off for milliseconds, not seconds, so failure tests stay fast.
      // Webhook retries follow the real schedule shrunk 1000× (5 s → 5 ms).
      // The suite runs as a development deployment whose DEV_API_KEY is the suite's key.
      miniflare: {
        bindings: {
          // The API suites keep the fast mock as their default model; test/embedded covers the
          // embedded model (wrangler.toml's default) on its own.
          MODELS: "mock:fixed",
          RETRY_BASE_MS: "5",
          WEBHOOK_SCHEDULE_SCALE: "0.001",
          ENVIRONMENT: "development",
          // Every response a test receives is checked against /openapi.json (src/app/contract-check.ts).
          VALIDATE_RESPONSES: "1",
          ADMIN_SECRET: "test_admin_secret_0123456789abcdef0123456789",
          DEV_API_KEY: TEST_API_KEY,
          TEST_MIGRATIONS: migrations,
          // Webhook tests deliver to a real receiver on loopback (test/global-setup.ts) over plain http.
          ALLOW_HTTP_WEBHOOKS: "1",
        },
      },
    }),
  ],
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // test/inference/openai-upstream.ts: an OpenAI-compatible server on loopback for the `openai` backend.
    globalSetup: ["./test/global-setup.ts", "./test/inference/openai-upstream.ts"],
    setupFiles: ["./test/setup/d1.ts"],
    testTimeout: 30_000,
  },
});
