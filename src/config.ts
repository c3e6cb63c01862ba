import { z } from "zod";

/**
 * The Worker's settings, parsed once from its bindings. Every setting that is wrong is named in
 * one message together with where to fix it, so a misconfigured Worker fails at start-up rather
 * than at its first request.
 */

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith("127.");
}

const publicUrl = z
  .string({ error: "is missing" })
  .trim()
  .pipe(z.url({ error: "must be an absolute URL such as https://pandgate.example.workers.dev" }))
  .transform((value, ctx) => {
    const url = new URL(value);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url))) {
      ctx.addIssue({ code: "custom", message: "must use https (plain http is allowed only for localhost)" });
      return z.NEVER;
    }
    if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) {
      ctx.addIssue({ code: "custom", message: "must be an origin only, with no path, query or credentials" });
      return z.NEVER;
    }
    return url.origin;
  });

const positiveInt = (fallback: number, max: number) =>
  z
    .union([z.string(), z.number()])
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === "") return fallback;
      const n = typeof value === "number" ? value : Number(value);
      if (!Number.isInteger(n) || n < 1 || n > max) {
        ctx.addIssue({ code: "custom", message: `must be a whole number from 1 to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const ConfigSchema = z.object({
  PUBLIC_URL: publicUrl,
  MAX_REQUEST_BYTES: positiveInt(256 * 1024, 4 * 1024 * 1024),
});

export interface Config {
  /** Origin clients use, e.g. `https://pandgate.example.workers.dev`. */
  publicOrigin: string;
  /** The canonical MCP resource: token audience and protected resource identifier. */
  mcpResource: string;
  /** Largest MCP request body accepted, in bytes. */
  maxRequestBytes: number;
}

const WHERE_TO_FIX: Record<string, string> = {
  PUBLIC_URL: 'set PUBLIC_URL under [vars] in wrangler.toml (or in .dev.vars), e.g. "https://pandgate.<account>.workers.dev"',
  MAX_REQUEST_BYTES: "set MAX_REQUEST_BYTES under [vars] in wrangler.toml, or leave it out for the default 262144",
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function parseConfig(env: Record<string, unknown>): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "configuration");
      const fix = WHERE_TO_FIX[key];
      return `- ${key} ${issue.message}${fix ? `: ${fix}` : ""}`;
    });
    throw new ConfigError(`pandgate cannot start, its configuration is invalid:\n${lines.join("\n")}`);
  }
  const { PUBLIC_URL, MAX_REQUEST_BYTES } = parsed.data;
  return {
    publicOrigin: PUBLIC_URL,
    mcpResource: `${PUBLIC_URL}/mcp`,
    maxRequestBytes: MAX_REQUEST_BYTES,
  };
}
