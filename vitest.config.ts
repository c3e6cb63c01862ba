import { readFileSync } from "node:fs";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Public origin the Worker is configured with in tests (https, so `__Host-` cookies work). */
export const TEST_PUBLIC_URL = "https://mcp.example.com";

/**
 * The Worker's settings in the workerd tests: multi-tenant Entra sign-in (answered by the mock
 * in test/helpers/entra.ts, in Entra's wire format), two allowed tenants, the operator API and
 * delegated Blockbrain-style user tokens.
 */
export const TEST_SETTINGS = {
  PUBLIC_URL: TEST_PUBLIC_URL,
  IDP_KIND: "entra",
  IDP_TENANT: "organizations",
  IDP_CLIENT_ID: "6731de76-14a6-49ae-97bc-6eba6914391e",
  IDP_CLIENT_SECRET: "test-upstream-client-secret",
  ALLOWED_TENANT_IDS: "3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11,7a9e4b20-5c3f-4d8a-b1e6-2f0d9c7a3e55",
  COOKIE_SECRET: "test-cookie-secret-0123456789abcdef0123456789",
  OPERATOR_SECRET: "test-operator-secret-0123456789abcdef01234567",
  EXTERNAL_TOKEN_ISSUER: "https://auth.blockbrain.test",
  EXTERNAL_TOKEN_JWKS_URL: "https://auth.blockbrain.test/oauth/v2/keys",
  EXTERNAL_TOKEN_AUDIENCE: "pandgate-project",
};

/**
 * The synthetic dataset (seed/seed.sql, from scripts/seed.mjs) as its statements: the generator
 * writes exactly one statement per line, so every line that is not a comment is one statement.
 */
function readSeedStatements(): string[] {
  const sql = readFileSync(path.join(import.meta.dirname, "seed", "seed.sql"), "utf8");
  return sql.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("--"));
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  const seed = readSeedStatements();
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: { TEST_MIGRATIONS: migrations, TEST_SEED: seed, ...TEST_SETTINGS },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
      exclude: ["test/e2e/**"],
      setupFiles: ["./test/setup.ts"],
      teardownTimeout: 60_000,
      // The Worker logs one JSON line per request; keep warnings and errors, drop routine info.
      onConsoleLog: (line) => !line.startsWith('{"level":"info"'),
    },
  };
});
