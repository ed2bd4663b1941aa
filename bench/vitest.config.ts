import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Benchmarks run inside workerd like the service does; they are not part of `npm test`.
export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, remoteBindings: false })],
  test: {
    include: ["bench/**/*.bench.test.ts"],
    testTimeout: 600_000,
  },
});
