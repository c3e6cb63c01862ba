import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../src/config";

describe("configuration", () => {
  it("derives the MCP resource from PUBLIC_URL and applies defaults", () => {
    expect(parseConfig({ PUBLIC_URL: "https://pandgate.example.workers.dev" })).toEqual({
      publicOrigin: "https://pandgate.example.workers.dev",
      mcpResource: "https://pandgate.example.workers.dev/mcp",
      maxRequestBytes: 262144,
      dataSource: "synthetic",
      maxConcurrentJobs: 2,
      allowedOrigins: [
        "https://claude.ai",
        "https://claude.com",
        "https://chatgpt.com",
        "https://vscode.dev",
        "https://insiders.vscode.dev",
      ],
      allowLoopbackOrigins: false,
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

  it("names every bad setting at once", () => {
    expect(() => parseConfig({ PUBLIC_URL: "ftp://x", MAX_REQUEST_BYTES: "lots" })).toThrow(/PUBLIC_URL[\s\S]*MAX_REQUEST_BYTES/);
  });
});
