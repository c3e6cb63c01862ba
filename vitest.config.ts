import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Public origin the Worker is configured with in tests (https, so `__Host-` cookies work). */
export const TEST_PUBLIC_URL = "https://mcp.example.com";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: { TEST_MIGRATIONS: migrations, PUBLIC_URL: TEST_PUBLIC_URL },
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
