import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // Retries back off for milliseconds, not seconds, so failure tests stay fast.
      // Webhook retries follow the real schedule shrunk 1000× (5 s → 5 ms).
      miniflare: { bindings: { RETRY_BASE_MS: "5", WEBHOOK_SCHEDULE_SCALE: "0.001" } },
    }),
  ],
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 30_000,
  },
});
