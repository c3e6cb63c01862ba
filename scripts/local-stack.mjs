// Starts the Worker under `wrangler dev` on loopback, for `npm run dev` and the end-to-end tests.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { cp } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildApps } from "./build-apps.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");
const seedFile = path.join(root, "seed", "seed.sql");

/** Random text for secrets that only live as long as one local run. */
export function randomSecret(bytes = 32) {
  return randomBytes(bytes).toString("base64url");
}

/** Runs wrangler; resolves with its standard output (captured when `quiet`). */
function run(args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(wrangler, args, { cwd: root, stdio: options.quiet ? "pipe" : "inherit", env: { ...process.env, ...options.env } });
    let output = "";
    let stdout = "";
    child.stdout?.on("data", (d) => {
      output += d;
      stdout += d;
    });
    child.stderr?.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`wrangler ${args.slice(0, 2).join(" ")} failed (${code}):\n${output}`)),
    );
  });
}

/** The `dataset` value seed/seed.sql writes into service_meta (its last statement), or null. */
function seedDataset() {
  if (!existsSync(seedFile)) return null;
  const match = /^INSERT OR REPLACE INTO service_meta \(key, value\) VALUES \('dataset', '([^']*)'\);$/m.exec(
    readFileSync(seedFile, "utf8"),
  );
  return match ? match[1] : null;
}

/**
 * Loads seed/seed.sql into the local D1 database unless it already holds that dataset (the
 * `dataset` row in service_meta), so restarts stay fast. Returns whether it loaded.
 */
async function loadSeed(persist, quiet) {
  const wanted = seedDataset();
  if (!wanted) return false;
  const env = { CI: "true" };
  const query = "SELECT value FROM service_meta WHERE key = 'dataset'";
  const answer = await run(["d1", "execute", "DB", "--local", ...persist, "--json", "--command", query], { quiet: true, env });
  let current = null;
  try {
    current = JSON.parse(answer)[0]?.results?.[0]?.value ?? null;
  } catch {}
  if (current === wanted) return false;
  if (!quiet) console.log(`Loading the synthetic dataset into the local D1 database (${wanted})…`);
  await run(["d1", "execute", "DB", "--local", ...persist, "--file", path.relative(root, seedFile)], { quiet: true, env });
  return true;
}

/** Where local D1 databases live inside a persistence folder (wrangler's and miniflare's layout). */
const D1_DIR = path.join("v3", "d1");

/**
 * Environment variable naming a persistence folder whose local D1 already holds the migrations
 * and the synthetic dataset (made by `prepareD1Template`). `startWorker` copies it into a fresh
 * `persistTo` folder instead of running three wrangler commands (migrations, check, seed) there.
 * The end-to-end tests' global setup (test/e2e/global-setup.ts) makes one per run.
 */
export const D1_TEMPLATE_ENV = "PANDGATE_D1_TEMPLATE";

/** Applies the D1 migrations and loads the synthetic dataset into the persistence folder `dir`. */
export async function prepareD1Template(dir) {
  const persist = ["--persist-to", dir];
  await run(["d1", "migrations", "apply", "DB", "--local", ...persist], { quiet: true, env: { CI: "true" } });
  await loadSeed(persist, true);
}

/**
 * Applies the D1 migrations locally, loads the synthetic dataset (seed/seed.sql) when the local
 * database does not hold it yet (`seed: false` skips that), then runs `wrangler dev` on
 * 127.0.0.1:`port` with `vars` (`--var NAME:value`), waits until it serves, and returns how to stop it.
 * `persistTo` keeps local KV/D1/Durable Object state apart (the tests use a fresh folder); a fresh
 * one gets a copy of the D1 template named by PANDGATE_D1_TEMPLATE, when set, instead. `config`
 * is another wrangler configuration than wrangler.toml; `d1: false` skips the D1 steps (a Worker
 * without D1); `processGroup` starts wrangler in a process group of its own, for `crash()`.
 */
export async function startWorker({
  port = 8787,
  vars = {},
  persistTo,
  quiet = false,
  inspectorPort,
  seed = true,
  config,
  processGroup = false,
  d1 = true,
} = {}) {
  const persist = [...(persistTo ? ["--persist-to", persistTo] : []), ...(config ? ["--config", config] : [])];
  // The MCP Apps (dist-apps/, the Worker's static assets) must exist before wrangler dev reads them.
  await buildApps();
  const template = process.env[D1_TEMPLATE_ENV];
  if (!d1) {
    // A Worker without D1 (the bench's bare Worker): nothing to migrate or load.
  } else if (template && persistTo && seed && !existsSync(path.join(persistTo, D1_DIR))) {
    await cp(path.join(template, D1_DIR), path.join(persistTo, D1_DIR), { recursive: true });
  } else {
    await run(["d1", "migrations", "apply", "DB", "--local", ...persist], { quiet: true, env: { CI: "true" } });
    if (seed) await loadSeed(persist, quiet);
  }
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort ?? 0),
    ...persist,
    "--show-interactive-dev-session=false",
  ];
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  // `processGroup`: wrangler and the workerd it starts get a process group of their own, which
  // `crash()` kills at once with SIGKILL (the end-to-end test of a crash right after answers).
  const child = spawn(wrangler, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    detached: processGroup,
  });
  let log = "";
  const ready = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      const text = chunk.toString();
      log += text;
      if (!quiet) process.stdout.write(text);
      if (/Ready on http/.test(log)) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`wrangler dev exited (${code}) before it was ready:\n${log.slice(-4000)}`)));
  });
  // About 10 s on an idle machine; a loaded one (shared CI, `npm run test:stress`) takes several
  // times that. The deadline only stops a wrangler that will never be ready.
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`wrangler dev was not ready within 150 s:\n${log.slice(-4000)}`)), 150_000).unref(),
  );
  try {
    await Promise.race([ready, timeout]);
  } catch (error) {
    child.kill("SIGTERM");
    throw error;
  }
  const url = `http://localhost:${port}`;
  // wrangler reports ready slightly before the runtime answers: wait until /health answers at
  // all (its status is the caller's business), a minute at most however slow the machine, and
  // stop wrangler if it never does.
  const answerDeadline = Date.now() + 60_000;
  for (;;) {
    let failure;
    try {
      await (await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) })).arrayBuffer();
      break;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > answerDeadline || child.exitCode !== null) {
      child.kill("SIGTERM");
      throw new Error(`wrangler dev said it was ready, but ${url}/health did not answer within 60 s (${failure}):\n${log.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child,
    pid: child.pid,
    logs: () => log,
    /** SIGKILL to the whole process group (only with `processGroup`); resolves once wrangler is gone. */
    crash: () =>
      new Promise((resolve, reject) => {
        if (!processGroup || child.pid === undefined) return reject(new Error("crash() needs startWorker({ processGroup: true })"));
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        process.kill(-child.pid, "SIGKILL");
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      }),
  };
}
