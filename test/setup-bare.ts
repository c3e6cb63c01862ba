import { afterAll, afterEach, beforeAll } from "vitest";
import { sharedBudgets } from "../src/data/live/budget";
import { mockServer } from "./helpers/msw";

// Runs before each test file of every project in vitest.config.ts: alone in "workerd-modules"
// and "node", through test/setup.ts in the others. Outbound fetches (identity provider, JWKS,
// registers) must hit a mock or fail the test.
beforeAll(() => mockServer.listen({ onUnhandledRequest: "error" }));
afterEach(() => mockServer.resetHandlers());
// A register paused by one test's 429 (src/data/live/budget.ts, shared by the isolate) must not hold up the next test.
afterEach(() => sharedBudgets.reset());
afterAll(() => mockServer.close());
