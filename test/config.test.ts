import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSchema, parseConfig } from "../src/config";
import { DEFAULT_BUDGET_SETTINGS } from "../src/config/register-budgets";

describe("configuration", () => {
  it("signs download links with DOWNLOAD_LINK_SECRET, else COOKIE_SECRET, for DOWNLOAD_LINK_TTL_MINUTES", () => {
    const base = { PUBLIC_URL: "https://pandgate.example.workers.dev" };
    expect(parseConfig(base).downloadLinkSecret).toBeUndefined();
    expect(parseConfig({ ...base, COOKIE_SECRET: "c".repeat(32) }).downloadLinkSecret).toBe("c".repeat(32));
    expect(parseConfig({ ...base, COOKIE_SECRET: "c".repeat(32), DOWNLOAD_LINK_SECRET: "d".repeat(32) }).downloadLinkSecret).toBe(
      "d".repeat(32),
    );
    expect(() => parseConfig({ ...base, DOWNLOAD_LINK_SECRET: "short" })).toThrow(/DOWNLOAD_LINK_SECRET must be at least 32 characters/);
    expect(() => parseConfig({ ...base, DOWNLOAD_LINK_TTL_MINUTES: "0" })).toThrow(
      /DOWNLOAD_LINK_TTL_MINUTES must be a whole number from 1 to 1440/,
    );
    expect(parseConfig({ ...base, DOWNLOAD_LINK_TTL_MINUTES: "1440" }).downloadLinkTtlS).toBe(86_400);
  });

  it("derives the MCP resource from PUBLIC_URL and applies defaults", () => {
    expect(parseConfig({ PUBLIC_URL: "https://pandgate.example.workers.dev" })).toEqual({
      publicOrigin: "https://pandgate.example.workers.dev",
      mcpResource: "https://pandgate.example.workers.dev/mcp",
      maxRequestBytes: 262144,
      auditRetentionDays: 365,
      dataSource: "synthetic",
      maxConcurrentJobs: 2,
      downloadLinkTtlS: 3600,
      maxRunningJobsPerTenant: 10,
      maxAddressesPerJob: 50_000,
      allowedOrigins: [
        "https://claude.ai",
        "https://claude.com",
        "https://chatgpt.com",
        "https://vscode.dev",
        "https://insiders.vscode.dev",
      ],
      allowLoopbackOrigins: false,
      registerUrls: {},
      uploads: { maxBytes: 10 * 1024 * 1024, maxRows: 50_000, maxUnpackedBytes: 64 * 1024 * 1024, ttlMinutes: 15 },
      registerTimeoutMs: 6000,
      registerBudgets: DEFAULT_BUDGET_SETTINGS,
    });
    expect(parseConfig({ PUBLIC_URL: "http://localhost:8787/", MAX_REQUEST_BYTES: "1024" })).toMatchObject({
      mcpResource: "http://localhost:8787/mcp",
      maxRequestBytes: 1024,
      allowLoopbackOrigins: true,
    });
  });

  it("takes ALLOWED_ORIGINS as the list of browser origins, or none", () => {
    const base = { PUBLIC_URL: "https://x.example" };
    expect(parseConfig({ ...base, ALLOWED_ORIGINS: "https://claude.ai, https://app.contoso.example/" }).allowedOrigins).toEqual([
      "https://claude.ai",
      "https://app.contoso.example",
    ]);
    expect(parseConfig({ ...base, ALLOWED_ORIGINS: "http://localhost:6274" }).allowedOrigins).toEqual(["http://localhost:6274"]);
    expect(parseConfig({ ...base, ALLOWED_ORIGINS: "none" }).allowedOrigins).toEqual([]);
  });

  it("takes each register's base URL (a caching proxy or mirror), https or loopback http, without a trailing slash", () => {
    const config = parseConfig({
      PUBLIC_URL: "https://x.example",
      PDOK_LOCATIESERVER_URL: "https://pdok-cache.internal.example/locatieserver/v3_1/",
      PDOK_BAG_URL: "http://127.0.0.1:9100/bag",
      EP_ONLINE_URL: "http://localhost:9100/ep",
      CBS_ODATA_URL: "http://[::1]:9100/cbs",
    });
    expect(config.registerUrls).toEqual({
      "pdok-locatieserver": "https://pdok-cache.internal.example/locatieserver/v3_1",
      "pdok-bag": "http://127.0.0.1:9100/bag",
      "ep-online": "http://localhost:9100/ep",
      "cbs-kwb": "http://[::1]:9100/cbs",
    });
    // Unset or empty: the public endpoint (not listed in the configuration).
    expect(parseConfig({ PUBLIC_URL: "https://x.example", PDOK_BAG_URL: "" }).registerUrls).toEqual({});
  });

  it("lists every wrong register URL at once", () => {
    let message = "";
    try {
      parseConfig({
        PUBLIC_URL: "https://x.example",
        PDOK_LOCATIESERVER_URL: "http://pdok-cache.example/locatieserver",
        PDOK_BAG_URL: "api.pdok.nl/kadaster/bag/ogc/v2",
        EP_ONLINE_URL: "https://user:secret@ep.example/api/v5",
        CBS_ODATA_URL: "ftp://cbs.example/odata",
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      "- PDOK_LOCATIESERVER_URL must use https (plain http is allowed only for localhost): set PDOK_LOCATIESERVER_URL under [vars]",
    );
    expect(message).toContain("- PDOK_BAG_URL must be an absolute http(s) URL");
    expect(message).toContain('"https://api.pdok.nl/kadaster/bag/ogc/v2" (the default)');
    expect(message).toContain("- EP_ONLINE_URL must be a base URL only, with no query, fragment or credentials");
    expect(message).not.toContain("secret");
    expect(message).toContain("- CBS_ODATA_URL must be an absolute http(s) URL");
  });

  it.each([
    [{}, "PUBLIC_URL is missing"],
    [{ PUBLIC_URL: "not a url" }, "PUBLIC_URL must be an absolute URL"],
    [{ PUBLIC_URL: "http://pandgate.example.com" }, "PUBLIC_URL must use https"],
    [{ PUBLIC_URL: "https://pandgate.example.com/base" }, "PUBLIC_URL must be an origin only"],
    [{ PUBLIC_URL: "https://x.example", MAX_REQUEST_BYTES: "-5" }, "MAX_REQUEST_BYTES must be a whole number"],
    [{ PUBLIC_URL: "https://x.example", DATA_SOURCE: "remote" }, "DATA_SOURCE must be synthetic or live"],
    [{ PUBLIC_URL: "https://x.example", MAX_CONCURRENT_JOBS: "0" }, "MAX_CONCURRENT_JOBS must be a whole number from 1 to 20"],
    [{ PUBLIC_URL: "https://x.example", ALLOWED_ORIGINS: "https://app.example/path" }, 'ALLOWED_ORIGINS has "https://app.example/path"'],
    [{ PUBLIC_URL: "https://x.example", ALLOWED_ORIGINS: "http://app.example" }, "ALLOWED_ORIGINS has"],
    [{ PUBLIC_URL: "https://x.example", ALLOWED_ORIGINS: "*" }, 'ALLOWED_ORIGINS has "*"'],
  ])("refuses %j with a message naming the setting and the fix", (env, expected) => {
    let error: unknown;
    try {
      parseConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(expected);
    expect(message).toContain("wrangler.toml");
  });

  it("refuses register budgets that are not register=concurrency/perSecond within bounds, naming the fix", () => {
    for (const bad of ["pdok-bag=0/5", "kadaster=2/5", "pdok-bag=2", "pdok-bag=2/5000"]) {
      expect(() => parseConfig({ PUBLIC_URL: "https://pandgate.example.workers.dev", REGISTER_BUDGETS: bad })).toThrow(
        /REGISTER_BUDGETS[\s\S]*register=concurrency\/perSecond/,
      );
    }
    expect(() => parseConfig({ PUBLIC_URL: "https://pandgate.example.workers.dev", REGISTER_CONCURRENCY: "0" })).toThrow(
      /REGISTER_CONCURRENCY/,
    );
  });

  it("names every bad setting at once", () => {
    expect(() => parseConfig({ PUBLIC_URL: "ftp://x", MAX_REQUEST_BYTES: "lots" })).toThrow(/PUBLIC_URL[\s\S]*MAX_REQUEST_BYTES/);
  });

  it("names every bad setting at once across each setting's own checks and the rules between settings, each with its fix", () => {
    const env = {
      PUBLIC_URL: "http://pandgate.example.com",
      IDP_KIND: "b2c",
      IDP_TENANT: "contoso",
      IDP_CLIENT_ID: "app",
      IDP_CLIENT_SECRET: "s",
      COOKIE_SECRET: "c".repeat(32),
      OPERATOR_SECRET: "short",
      EXTERNAL_TOKEN_ISSUER: "https://auth.example",
      ALLOWED_ORIGINS: "https://claude.ai, https://app.example/path",
    };
    expect(() => parseConfig(env)).toThrow(
      new ConfigError(
        [
          "pandgate cannot start, its configuration is invalid:",
          '- PUBLIC_URL must use https (plain http is allowed only for localhost): set PUBLIC_URL under [vars] in wrangler.toml (or in .dev.vars), e.g. "https://pandgate.<account>.workers.dev"',
          "- IDP_POLICY is required when IDP_KIND is b2c (the user flow or custom policy, e.g. B2C_1_signupsignin): set IDP_POLICY under [vars] in wrangler.toml to the user flow's name",
          "- OPERATOR_SECRET must be at least 32 characters: set it with `wrangler secret put OPERATOR_SECRET` to 32 or more random characters, or leave it unset to turn the operator API off",
          "- EXTERNAL_TOKEN_ISSUER and EXTERNAL_TOKEN_JWKS_URL and EXTERNAL_TOKEN_AUDIENCE must all be set: set EXTERNAL_TOKEN_ISSUER, EXTERNAL_TOKEN_JWKS_URL and EXTERNAL_TOKEN_AUDIENCE together, or none of them",
          '- ALLOWED_ORIGINS has "https://app.example/path", which is not an origin: write scheme://host[:port] with https (http only for localhost), no path: set ALLOWED_ORIGINS under [vars] in wrangler.toml to comma-separated origins such as "https://claude.ai,https://app.example.com", or "none"',
        ].join("\n"),
      ),
    );
  });

  it("writes every problem as the setting, what is wrong with it and how to fix it", () => {
    const bad: Record<string, unknown>[] = [
      {},
      { PUBLIC_URL: "not a url", MAX_REQUEST_BYTES: true, DATA_SOURCE: "remote", MAX_CONCURRENT_JOBS: "21", ALLOWED_ORIGINS: "*" },
      { PUBLIC_URL: "https://x.example/base", COOKIE_SECRET: "short", OPERATOR_SECRET: "short", IDP_KIND: "okta" },
      { PUBLIC_URL: "https://x.example", IDP_KIND: "entra", IDP_TENANT: "common", IDP_SCOPES: "profile", IDP_AUTHORITY_HOST: "https://x/" },
      { PUBLIC_URL: "https://x.example", IDP_KIND: "b2c", IDP_DOMAIN: "https://login.contoso.com", ALLOWED_TENANT_IDS: "*,x" },
      { PUBLIC_URL: "https://x.example", IDP_KIND: "external-id", IDP_TENANT: "contoso", IDP_DOMAIN: "https://x" },
      { PUBLIC_URL: "https://x.example", IDP_KIND: "oidc", IDP_ISSUER: "idp.example", IDP_CLIENT_ID: 7 },
      { PUBLIC_URL: "https://x.example", IDP_KIND: "oidc", IDP_ISSUER: "https://idp.example", IDP_CLIENT_ID: "a", IDP_CLIENT_SECRET: "s" },
      {
        PUBLIC_URL: "https://x.example",
        EXTERNAL_TOKEN_ISSUER: "i",
        EXTERNAL_TOKEN_JWKS_URL: "http://x/keys",
        EXTERNAL_TOKEN_AUDIENCE: "a",
      },
    ];
    let problems = 0;
    for (const env of bad) {
      const result = ConfigSchema.safeParse(env);
      expect(result.success, JSON.stringify(env)).toBe(false);
      for (const issue of result.error?.issues ?? []) {
        const setting = String(issue.path[0]);
        expect(setting, issue.message).toMatch(/^[A-Z_]+$/);
        expect(issue.message).toMatch(new RegExp(`^${setting} \\S.*: (set|quote) .*(wrangler|\\.dev\\.vars)`));
        problems++;
      }
    }
    expect(problems).toBeGreaterThanOrEqual(20);
  });

  it("gives a value of the wrong type the same message as a wrong value", () => {
    expect(() => parseConfig({ PUBLIC_URL: "https://x.example", MAX_REQUEST_BYTES: true })).toThrow(
      "- MAX_REQUEST_BYTES must be a whole number from 1 to 4194304: set MAX_REQUEST_BYTES under [vars] in wrangler.toml",
    );
    expect(() => parseConfig({ PUBLIC_URL: 8787 })).toThrow("- PUBLIC_URL is missing: set PUBLIC_URL under [vars]");
  });

  it("builds the whole configuration from every setting", () => {
    expect(
      parseConfig({
        PUBLIC_URL: " https://pandgate.example.workers.dev/ ",
        MAX_REQUEST_BYTES: 1024,
        DATA_SOURCE: "live",
        MAX_CONCURRENT_JOBS: "5",
        IDP_KIND: "entra",
        IDP_TENANT: "organizations",
        IDP_CLIENT_ID: " app ",
        IDP_CLIENT_SECRET: "secret",
        IDP_SCOPES: "openid,profile offline_access",
        ALLOWED_TENANT_IDS: "3F1C2A6E-8B4D-4E21-9A57-0C6D2E8F4B11, 7a9e4b20-5c3f-4d8a-b1e6-2f0d9c7a3e55",
        COOKIE_SECRET: "c".repeat(32),
        OPERATOR_SECRET: "o".repeat(40),
        DOWNLOAD_LINK_SECRET: "d".repeat(32),
        DOWNLOAD_LINK_TTL_MINUTES: "15",
        EXTERNAL_TOKEN_ISSUER: "https://auth.blockbrain.test",
        EXTERNAL_TOKEN_JWKS_URL: "https://auth.blockbrain.test/oauth/v2/keys",
        EXTERNAL_TOKEN_AUDIENCE: "pandgate-project",
        EXTERNAL_TOKEN_SCOPES: "mcp:read, mcp:write",
        ALLOWED_ORIGINS: "none",
        EP_ONLINE_API_KEY: " key ",
        PDOK_BAG_URL: "https://bag-cache.example/v2/",
        AUDIT_RETENTION_DAYS: "90",
        REGISTER_TIMEOUT_MS: "2500",
        REGISTER_CONCURRENCY: "4",
        REGISTER_REQUESTS_PER_SECOND: "12",
        REGISTER_BUDGETS: "ep-online=2/5, pdok-bag=6/40",
        REGISTER_MAX_PAUSE_SECONDS: "30",
        MAX_RUNNING_JOBS_PER_TENANT: "4",
        MAX_ADDRESSES_PER_JOB: "20000",
        UNRELATED_BINDING: { something: true },
      }),
    ).toEqual({
      publicOrigin: "https://pandgate.example.workers.dev",
      mcpResource: "https://pandgate.example.workers.dev/mcp",
      maxRequestBytes: 1024,
      auditRetentionDays: 90,
      dataSource: "live",
      maxConcurrentJobs: 5,
      maxRunningJobsPerTenant: 4,
      maxAddressesPerJob: 20_000,
      upstream: {
        kind: "entra",
        discoveryUrl: "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration",
        clientId: "app",
        clientSecret: "secret",
        scopes: ["openid", "profile", "offline_access"],
        authorizeParams: { prompt: "select_account" },
        allowedTenants: ["3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11", "7a9e4b20-5c3f-4d8a-b1e6-2f0d9c7a3e55"],
        callbackUrl: "https://pandgate.example.workers.dev/oauth/callback",
      },
      cookieSecret: "c".repeat(32),
      operatorSecret: "o".repeat(40),
      downloadLinkSecret: "d".repeat(32),
      downloadLinkTtlS: 900,
      externalToken: {
        issuer: "https://auth.blockbrain.test",
        jwksUrl: "https://auth.blockbrain.test/oauth/v2/keys",
        audience: "pandgate-project",
        defaultScopes: ["mcp:read", "mcp:write"],
      },
      epOnlineApiKey: "key",
      registerUrls: { "pdok-bag": "https://bag-cache.example/v2" },
      // A file never holds more rows than one job takes: MAX_ADDRESSES_PER_JOB (20000 here) caps UPLOAD_MAX_ROWS.
      uploads: { maxBytes: 10 * 1024 * 1024, maxRows: 20_000, maxUnpackedBytes: 64 * 1024 * 1024, ttlMinutes: 15 },
      registerTimeoutMs: 2500,
      registerBudgets: {
        defaults: { concurrency: 4, perSecond: 12 },
        overrides: { "ep-online": { concurrency: 2, perSecond: 5 }, "pdok-bag": { concurrency: 6, perSecond: 40 } },
        maxPauseMs: 30_000,
      },
      allowedOrigins: [],
      allowLoopbackOrigins: false,
    });
  });

  it("treats empty settings as unset, and a secret or optional text that is not text as unset", () => {
    const config = parseConfig({
      PUBLIC_URL: "https://x.example",
      MAX_REQUEST_BYTES: "",
      MAX_CONCURRENT_JOBS: "",
      IDP_KIND: " ",
      COOKIE_SECRET: "",
      OPERATOR_SECRET: 5,
      EXTERNAL_TOKEN_ISSUER: " ",
      ALLOWED_ORIGINS: "",
      EP_ONLINE_API_KEY: 5,
    });
    expect(config).toEqual(parseConfig({ PUBLIC_URL: "https://x.example" }));
  });
  it("takes ORG_NAME and ORG_LOGO_URL for the pages' header, and refuses a logo URL that is not https", () => {
    const base = { PUBLIC_URL: "https://x.example" };
    expect(parseConfig({ ...base, ORG_NAME: "  Contoso Vastgoed ", ORG_LOGO_URL: "https://cdn.contoso.example/logo.svg" })).toMatchObject({
      orgName: "Contoso Vastgoed",
      orgLogoUrl: "https://cdn.contoso.example/logo.svg",
    });
    const unset = parseConfig({ ...base, ORG_NAME: "", ORG_LOGO_URL: " " });
    expect(unset).not.toHaveProperty("orgName");
    expect(unset).not.toHaveProperty("orgLogoUrl");

    for (const bad of ["http://cdn.contoso.example/logo.svg", "logo.svg", "javascript:alert(1)", "data:image/png;base64,AAAA"]) {
      expect(() => parseConfig({ ...base, ORG_LOGO_URL: bad }), bad).toThrow(
        /- ORG_LOGO_URL must be an absolute https URL: set ORG_LOGO_URL under \[vars\] in wrangler.toml to an https image URL/,
      );
    }
    expect(() => parseConfig({ ...base, ORG_LOGO_URL: "https://user:pw@cdn.contoso.example/logo.svg" })).toThrow(
      "- ORG_LOGO_URL must have no credentials or fragment",
    );
    expect(() => parseConfig({ ...base, ORG_LOGO_URL: "https://cdn.contoso.example/logo.svg", ORG_NAME: "x".repeat(81) })).toThrow(
      /- ORG_NAME must be at most 80 characters: set ORG_NAME under \[vars\]/,
    );
    expect(() => parseConfig({ ...base, ORG_NAME: "Contoso\nVastgoed" })).toThrow("- ORG_NAME must be one line without control characters");
    expect(() => parseConfig({ ...base, ORG_LOGO_URL: "http://cdn.contoso.example/logo.svg" })).toThrow(ConfigError);
  });
});
