import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, afterEach, beforeAll } from "vitest";
import { mockServer } from "./helpers/msw";

// Runs before each test file; applyD1Migrations skips what is already applied.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Then the synthetic dataset (seed/seed.sql), unless this file's database already holds it.
const seeded = await env.DB.prepare("SELECT value FROM service_meta WHERE key = 'dataset'").first<{ value: string }>();
if (!seeded) {
  // About 1 s per test file; each batch is one transaction, well below D1's limits.
  const SEED_BATCH = 16;
  for (let i = 0; i < env.TEST_SEED.length; i += SEED_BATCH) {
    await env.DB.batch(env.TEST_SEED.slice(i, i + SEED_BATCH).map((sql) => env.DB.prepare(sql)));
  }
}

// Outbound fetches from the Worker (identity provider, JWKS) must hit a mock or fail the test.
beforeAll(() => mockServer.listen({ onUnhandledRequest: "error" }));
afterEach(() => mockServer.resetHandlers());
afterAll(() => mockServer.close());
