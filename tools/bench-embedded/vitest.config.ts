import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// The workerd half of `npm run bench:embedded` (not part of `npm test`).
export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, remoteBindings: false })],
  test: {
    include: ["tools/bench-embedded/*.bench.test.ts"],
    testTimeout: 600_000,
  },
});
