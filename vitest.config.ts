import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "sdk/test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Each file gets its own database (from a migrated template) and its own
    // queue prefix, so files run in parallel; 2 cores → 2 at a time.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
