import { defineConfig } from "vitest/config";

/**
 * End-to-end tests in plain Node: each file starts the dev IdP and the Worker under
 * `wrangler dev` on loopback and talks real HTTP to them (and, in browser.e2e.test.ts, drives a
 * headless Chromium). Files run one after another: every file starts its own workerd, and the
 * machines these run on have few CPUs. Each stack gets a fresh persistence folder holding a copy
 * of one migrated and seeded D1 that the global setup makes once per run.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    fileParallelism: false,
    globalSetup: ["./test/e2e/global-setup.ts"],
    // wrangler dev takes ~10 s to come up; installing Chromium (browser test) can take minutes.
    hookTimeout: 180_000,
    testTimeout: 60_000,
    teardownTimeout: 30_000,
    // The Worker's routine per-request log lines are noise here; warnings and errors are kept.
    onConsoleLog: (line) => !line.startsWith('{"level":"info"'),
  },
});
