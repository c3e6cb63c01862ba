import type { D1Migration } from "@cloudflare/vitest-plugin";

// Test-only bindings and the settings vitest.config.ts gives the Worker in tests.
interface TestBindings {
  TEST_MIGRATIONS: D1Migration[];
  /** seed/seed.sql, one SQL statement per element (see vitest.config.ts). */
  TEST_SEED: string[];
  IDP_CLIENT_ID: string;
  IDP_CLIENT_SECRET: string;
  OPERATOR_SECRET: string;
  COOKIE_SECRET: string;
  EXTERNAL_TOKEN_ISSUER: string;
  EXTERNAL_TOKEN_JWKS_URL: string;
  EXTERNAL_TOKEN_AUDIENCE: string;
}

declare global {
  interface Env extends TestBindings {}
  namespace Cloudflare {
    interface Env extends TestBindings {}
  }
}
