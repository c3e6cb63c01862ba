// `npm run setup` (scripts/setup.mjs) against a stand-in wrangler (fixtures/wrangler-standin/
// wrangler, first on PATH) that keeps a fake account in a temp folder and answers in the real
// wrangler's output formats. The generated files go to that temp folder too
// (PANDGATE_SETUP_DIR), and the health check hits a loopback server (--health-url).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseR2BucketNames } from "../../scripts/setup.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const STANDIN = path.join(import.meta.dirname, "fixtures", "wrangler-standin");
const SEED_DATASET = /VALUES \('dataset', '([^']*)'\);/.exec(readFileSync(path.join(ROOT, "seed", "seed.sql"), "utf8"))?.[1];

interface Call {
  argv: string[];
  failed?: boolean;
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
}

let server: Server;
let healthUrl = "";
let healthStatus = 200;
let dir = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/health") {
      res.writeHead(healthStatus, { "content-type": "application/json" }).end(JSON.stringify({ ok: healthStatus === 200 }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  healthUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "pandgate-setup-"));
  mkdirSync(path.join(dir, "out"));
  healthStatus = 200;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const IDP = {
  IDP_KIND: "entra",
  IDP_TENANT: "contoso.onmicrosoft.com",
  IDP_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
  IDP_CLIENT_SECRET: "client-secret-from-ci",
};

function setup(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts", "setup.mjs"), ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        PATH: [STANDIN, process.env.PATH].join(path.delimiter),
        STANDIN_DIR: dir,
        PANDGATE_SETUP_DIR: path.join(dir, "out"),
        PANDGATE_HEALTH_ATTEMPTS: "2",
        PANDGATE_HEALTH_DELAY_MS: "50",
        ...IDP,
        ...env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const calls = (): Call[] => {
  try {
    return readFileSync(path.join(dir, "calls.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Call);
  } catch {
    return [];
  }
};
const commands = (list: Call[]) =>
  list.map((c) => c.argv.filter((a) => !a.startsWith("-") && !a.includes("/") && !a.includes(" ")).join(" "));
const creates = (list: Call[]) => commands(list).filter((c) => / create /.test(` ${c} `));
const account = () => JSON.parse(readFileSync(path.join(dir, "account.json"), "utf8"));
const readSecrets = () => JSON.parse(readFileSync(path.join(dir, "out", ".deploy", "secrets.json"), "utf8"));

describe("npm run setup", () => {
  it("first run: creates everything, migrates, loads the seed, deploys with secrets and prints what to register", async () => {
    const run = await setup(["--yes", "--health-url", healthUrl]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const list = calls();
    expect(commands(list)).toEqual([
      "kv namespace list",
      "kv namespace create pandgate-oauth-kv",
      "kv namespace list",
      "d1 list",
      "d1 create pandgate",
      "d1 list",
      "queues list",
      "queues create pandgate-audit",
      "r2 bucket list",
      "r2 bucket create pandgate-files",
      "d1 migrations apply DB",
      "d1 execute DB",
      "d1 execute DB",
      "deploy",
      "deploy",
    ]);
    expect(list.at(-3)?.argv).toContain("seed/seed.sql");
    expect(account().dataset).toBe(SEED_DATASET);
    expect(account().migrations.length).toBeGreaterThan(5);

    // The generated config carries the real ids; wrangler.toml is untouched.
    const config = JSON.parse(readFileSync(path.join(dir, "out", "wrangler.deploy.jsonc"), "utf8").replace(/^\s*\/\/.*$/gm, ""));
    expect(config.kv_namespaces[0].id).toBe(account().kv[0].id);
    expect(config.d1_databases[0].database_id).toBe(account().d1[0].uuid);
    expect(account().r2).toEqual([{ name: "pandgate-files", creation_date: expect.any(String) }]);
    expect(config.r2_buckets).toEqual([{ binding: "FILES", bucket_name: "pandgate-files" }]);
    expect(config.workflows).toEqual([{ name: "pandgate-portfolio", binding: "PORTFOLIO_WORKFLOW", class_name: "PortfolioWorkflow" }]);
    expect(run.stdout).toContain("The portfolio workflow needs nothing created");
    expect(readFileSync(path.join(ROOT, "wrangler.toml"), "utf8")).toContain('database_id = "pandgate-local"');

    // Secrets: generated ones are long and random, kept in a 0600 file, uploaded with the deploy;
    // the first deploy has no PUBLIC_URL, the second the workers.dev URL it printed.
    const secrets = readSecrets();
    expect(secrets.COOKIE_SECRET.length).toBeGreaterThanOrEqual(48);
    expect(secrets.OPERATOR_SECRET.length).toBeGreaterThanOrEqual(48);
    expect(secrets.COOKIE_SECRET).not.toBe(secrets.OPERATOR_SECRET);
    expect(secrets.IDP_CLIENT_SECRET).toBe(IDP.IDP_CLIENT_SECRET);
    expect(statSync(path.join(dir, "out", ".deploy", "secrets.json")).mode & 0o077).toBe(0);
    const [first, second] = list.slice(-2);
    expect(Object.keys(first?.secrets ?? {}).sort()).toEqual(["COOKIE_SECRET", "IDP_CLIENT_SECRET", "OPERATOR_SECRET"]);
    expect(first?.vars?.PUBLIC_URL).toBeUndefined();
    expect(second?.vars).toMatchObject({
      PUBLIC_URL: "https://pandgate.example-account.workers.dev",
      IDP_KIND: "entra",
      IDP_TENANT: IDP.IDP_TENANT,
    });
    expect(readFileSync(path.join(dir, "calls.jsonl"), "utf8")).not.toContain(secrets.COOKIE_SECRET);
    expect(readFileSync(path.join(dir, "calls.jsonl"), "utf8")).not.toContain(IDP.IDP_CLIENT_SECRET);

    expect(run.stdout).toContain("MCP URL (give this to clients):      https://pandgate.example-account.workers.dev/mcp");
    expect(run.stdout).toContain("Redirect URI to register at the IdP: https://pandgate.example-account.workers.dev/oauth/callback");
    expect(run.stdout).toContain(`Health check: ok (GET ${healthUrl}/health → 200`);
  });

  it("re-run: creates nothing twice, keeps the secrets and the dataset, deploys once", async () => {
    expect((await setup(["--yes", "--health-url", healthUrl])).code).toBe(0);
    const before = readSecrets();
    const firstCalls = calls().length;
    const run = await setup(["--yes", "--health-url", healthUrl], { IDP_CLIENT_SECRET: "" });
    expect(run.code).toBe(0);
    const again = calls().slice(firstCalls);
    expect(creates(again)).toEqual([]);
    expect(commands(again)).toEqual([
      "kv namespace list",
      "d1 list",
      "queues list",
      "r2 bucket list",
      "d1 migrations apply DB",
      "d1 execute DB",
      "deploy",
    ]);
    expect(run.stdout).toContain("R2 bucket pandgate-files exists");
    expect(run.stdout).toContain("✅ No migrations to apply!");
    expect(run.stdout).toContain("The dataset is loaded");
    expect(readSecrets()).toEqual(before);
    expect(again.at(-1)?.secrets).toEqual(calls()[firstCalls - 1]?.secrets);
    expect(account().kv).toHaveLength(1);
    expect(account().d1).toHaveLength(1);
    expect(account().queues).toHaveLength(1);
    expect(account().r2).toHaveLength(1);

    // --rotate-secrets makes new generated ones and keeps the client secret.
    await setup(["--yes", "--rotate-secrets", "--health-url", healthUrl]);
    const rotated = readSecrets();
    expect(rotated.COOKIE_SECRET).not.toBe(before.COOKIE_SECRET);
    expect(rotated.OPERATOR_SECRET).not.toBe(before.OPERATOR_SECRET);
    expect(rotated.IDP_CLIENT_SECRET).toBe(before.IDP_CLIENT_SECRET);
  });

  it("a failure half way (migrations) stops with a message; the re-run resumes without creating anything twice", async () => {
    const failed = await setup(["--yes", "--health-url", healthUrl], { STANDIN_FAIL: "d1 migrations apply" });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("setup stopped: npx wrangler d1 migrations apply DB --remote");
    expect(failed.stderr).toContain("it continues where it stopped");
    expect(commands(calls())).not.toContain("deploy");
    const secrets = readSecrets();
    const firstCalls = calls().length;

    const run = await setup(["--yes", "--health-url", healthUrl], { STANDIN_FAIL: "d1 migrations apply" });
    expect(run.code).toBe(0);
    const again = calls().slice(firstCalls);
    expect(creates(again)).toEqual([]);
    expect(commands(again)).toContain("d1 migrations apply DB");
    expect(account().dataset).toBe(SEED_DATASET);
    expect(account().deploys).toBe(2);
    expect(readSecrets()).toEqual(secrets);
    expect(account().kv).toHaveLength(1);
  });

  it("R2 bucket: only its exact name counts as found, in wrangler's r2 bucket list output, coloured or not", async () => {
    // The account already holds other buckets, one with a name that starts with ours.
    writeFileSync(
      path.join(dir, "account.json"),
      JSON.stringify({
        kv: [],
        d1: [],
        queues: [],
        r2: [
          { name: "pandgate-files-archive", creation_date: "2026-01-02T03:04:05.000Z" },
          { name: "other", creation_date: "2026-01-02T03:04:05.000Z" },
        ],
        migrations: [],
        dataset: null,
        deploys: 0,
        failed: [],
      }),
    );
    const run = await setup(["--yes", "--health-url", healthUrl]);
    expect(run.code).toBe(0);
    expect(creates(calls())).toContain("r2 bucket create pandgate-files");
    expect(account().r2.map((b: { name: string }) => b.name)).toEqual(["pandgate-files-archive", "other", "pandgate-files"]);

    // On a terminal wrangler colours the labels (white) and values (gray).
    const coloured =
      "Listing buckets...\n\u001b[37mname:\u001b[39m           \u001b[90mpandgate-files\u001b[39m\n\u001b[37mcreation_date:\u001b[39m  \u001b[90m2026-01-02T03:04:05.000Z\u001b[39m\n";
    expect(parseR2BucketNames(coloured)).toEqual(["pandgate-files"]);
    expect(parseR2BucketNames("Listing buckets...\n\n")).toEqual([]);
  });

  it("--dry-run prints the commands in order and runs and writes nothing", async () => {
    const run = await setup(["--dry-run", "--health-url", healthUrl]);
    expect(run.code).toBe(0);
    expect(calls()).toEqual([]);
    expect(() => statSync(path.join(dir, "out", ".deploy"))).toThrow();
    expect(() => statSync(path.join(dir, "out", "wrangler.deploy.jsonc"))).toThrow();
    const lines = run.stdout.split("\n").filter((l) => l.startsWith("npx wrangler"));
    expect(lines.map((l) => l.split("    #")[0]?.split(" --config")[0])).toEqual([
      "npx wrangler kv namespace list",
      "npx wrangler kv namespace create pandgate-oauth-kv",
      "npx wrangler d1 list --json",
      "npx wrangler d1 create pandgate",
      "npx wrangler queues list",
      "npx wrangler queues create pandgate-audit",
      "npx wrangler r2 bucket list",
      "npx wrangler r2 bucket create pandgate-files",
      "npx wrangler d1 migrations apply DB --remote",
      "npx wrangler d1 execute DB --remote --json",
      "npx wrangler d1 execute DB --remote --yes",
      "npx wrangler deploy",
      "npx wrangler deploy",
    ]);
    expect(run.stdout).toContain(`then GET ${healthUrl}/health`);
  });

  it("live mode skips the dataset; a failing health check says so and exits non-zero", async () => {
    healthStatus = 503;
    const run = await setup(["--yes", "--health-url", healthUrl], { DATA_SOURCE: "live", PUBLIC_URL: "https://pandgate.example.org/" });
    expect(run.code).toBe(1);
    expect(commands(calls()).filter((c) => c.startsWith("d1 execute"))).toEqual([]);
    expect(commands(calls()).filter((c) => c === "deploy")).toHaveLength(1);
    expect(run.stdout).toContain("Redirect URI to register at the IdP: https://pandgate.example.org/oauth/callback");
    expect(run.stderr).toContain(`Health check FAILED: GET ${healthUrl}/health → 503`);
  });

  it("without a terminal, missing settings are named", async () => {
    const run = await setup(["--yes"], { IDP_CLIENT_ID: "", IDP_CLIENT_SECRET: "" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("missing settings: IDP_CLIENT_ID, IDP_CLIENT_SECRET");
    expect(calls()).toEqual([]);
  });
});
