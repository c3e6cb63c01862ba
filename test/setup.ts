import "./setup-bare";
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Runs before each test file of the "workerd-no-seed" project, and through test/setup-seed.ts of
// the "workerd" project (vitest.config.ts): MSW (test/setup-bare.ts), then the D1 migrations.
// Importing cloudflare:test loads the Worker. applyD1Migrations skips what is already applied.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
