// Starts the Worker under `wrangler dev` on loopback, for `npm run dev` and the end-to-end tests.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");

/** Random text for secrets that only live as long as one local run. */
export function randomSecret(bytes = 32) {
  return randomBytes(bytes).toString("base64url");
}

function run(args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(wrangler, args, { cwd: root, stdio: options.quiet ? "pipe" : "inherit", env: { ...process.env, ...options.env } });
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`wrangler ${args[0]} failed (${code}):\n${output}`))));
  });
}

/**
 * Applies the D1 migrations locally, then runs `wrangler dev` on 127.0.0.1:`port` with `vars`
 * (`--var NAME:value`), waits until it serves, and returns how to stop it.
 * `persistTo` keeps local KV/D1/Durable Object state apart (the tests use a fresh folder).
 */
export async function startWorker({ port = 8787, vars = {}, persistTo, quiet = false, inspectorPort } = {}) {
  const persist = persistTo ? ["--persist-to", persistTo] : [];
  await run(["d1", "migrations", "apply", "DB", "--local", ...persist], { quiet: true, env: { CI: "true" } });
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
  const child = spawn(wrangler, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
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
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`wrangler dev was not ready within 90 s:\n${log.slice(-4000)}`)), 90_000).unref(),
  );
  try {
    await Promise.race([ready, timeout]);
  } catch (error) {
    child.kill("SIGTERM");
    throw error;
  }
  const url = `http://localhost:${port}`;
  // wrangler reports ready slightly before the runtime answers; wait for /health.
  for (let i = 0; i < 50; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    child,
    logs: () => log,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      }),
  };
}
