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
    // These only stop a hang: every wait inside a test is for an event (a log line, a redirect, a
    // process exit) or a poll against a deadline, and the suite must pass on a loaded 2-core
    // machine (`npm run test:stress`), where everything takes 3-5 times as long as on an idle one.
    // A stack's beforeAll: wrangler dev takes ~10 s to come up idle, up to a minute loaded
    // (scripts/local-stack.mjs gives it 150 s, then 60 s for /health); the conformance run takes
    // its own up to 200 s; installing Chromium (browser test) names its own, longer timeout.
    hookTimeout: 240_000,
    // A test drives real client processes (Node start-up, a sign-in through the dev IdP, MCP
    // calls): 5-20 s idle, so allow a minute or more each when loaded (test/e2e/clients.ts).
    testTimeout: 180_000,
    teardownTimeout: 60_000,
    // Vitest's default expect.poll deadline (1 s) is a fixed short wait; a poll ends as soon as it passes.
    expect: { poll: { timeout: 30_000 } },
    // The Worker's routine per-request log lines are noise here; warnings and errors are kept.
    onConsoleLog: (line) => !line.startsWith('{"level":"info"'),
  },
});
