import "./setup";
import { env } from "cloudflare:workers";

// Runs before each test file of the "workerd" project (vitest.config.ts): MSW and the migrations
// (test/setup.ts), then the synthetic dataset (seed/seed.sql), unless this file's D1 holds it.
const seeded = await env.DB.prepare("SELECT value FROM service_meta WHERE key = 'dataset'").first<{ value: string }>();
if (!seeded) {
  // Each batch is one transaction, well below D1's limits.
  const SEED_BATCH = 16;
  for (let i = 0; i < env.TEST_SEED.length; i += SEED_BATCH) {
    await env.DB.batch(env.TEST_SEED.slice(i, i + SEED_BATCH).map((sql) => env.DB.prepare(sql)));
  }
}
