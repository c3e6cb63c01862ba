/// <reference types="node" />
// Chromium for the browser tests (sign-in pages, MCP Apps): found, or installed with apt-get once
// per end-to-end run by the global setup (./global-setup.ts), which hands the outcome to every
// test file through the environment, so two files never run apt-get at the same time.
import { spawn } from "node:child_process";
import { accessSync, constants, createWriteStream, existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const RESULTS = path.join(ROOT, "test-results");
/** How long installing Chromium may take (apt-get update and install). */
export const INSTALL_TIMEOUT_MS = 8 * 60_000;

/** Set by the global setup: Chromium's path, or why there is none. */
const PATH_ENV = "PANDGATE_E2E_CHROMIUM";
const MISSING_ENV = "PANDGATE_E2E_CHROMIUM_MISSING";

export type ChromiumOrReason = { path: string } | { reason: string };

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findChromium(): string | undefined {
  const candidates = ["/usr/bin/chromium"];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    candidates.push(path.join(dir, "chromium"), path.join(dir, "chromium-browser"));
  }
  return candidates.find(executable);
}

/** Runs a command with its output appended to `log`; resolves with its exit code (or -1 on timeout). */
function runLogged(command: string, args: string[], log: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const out = createWriteStream(log, { flags: "a" });
    out.write(`\n$ ${command} ${args.join(" ")}\n`);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    const finish = (code: number) => {
      clearTimeout(timer);
      out.end(() => resolve(code));
    };
    child.once("error", () => finish(-1));
    child.once("exit", (code) => finish(code ?? -1));
  });
}

/** Chromium's path, installing it with apt-get when that is possible; otherwise why not. */
async function findOrInstall(): Promise<ChromiumOrReason> {
  const found = findChromium();
  if (found) return { path: found };
  if (process.platform !== "linux" || process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    return {
      reason: "Chromium is not installed (looked for /usr/bin/chromium and chromium on PATH) and cannot be installed with apt-get here",
    };
  }
  await mkdir(RESULTS, { recursive: true });
  const log = path.join(RESULTS, "chromium-install.log");
  console.log(`Installing Chromium with apt-get (output in ${path.relative(ROOT, log)}) …`);
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  const updated = await runLogged("apt-get", ["update"], log, INSTALL_TIMEOUT_MS);
  const installed =
    updated === 0 ? await runLogged("apt-get", ["install", "-y", "chromium"], log, Math.max(deadline - Date.now(), 1)) : updated;
  const after = findChromium();
  if (after) return { path: after };
  return { reason: `Chromium could not be installed (apt-get exited with ${installed}; see ${path.relative(ROOT, log)})` };
}

/** For the global setup: finds or installs Chromium and tells the test files (started after it) through the environment. */
export async function prepareChromium(): Promise<() => void> {
  const outcome = await findOrInstall();
  if ("path" in outcome) process.env[PATH_ENV] = outcome.path;
  else process.env[MISSING_ENV] = outcome.reason;
  return () => {
    delete process.env[PATH_ENV];
    delete process.env[MISSING_ENV];
  };
}

/** In a test file: the Chromium the global setup found or installed, or why there is none. */
export function chromiumForTests(): ChromiumOrReason {
  const known = process.env[PATH_ENV];
  if (known) return { path: known };
  const found = findChromium();
  if (found) return { path: found };
  return { reason: process.env[MISSING_ENV] ?? "Chromium is not installed (the e2e global setup installs it where apt-get can)" };
}
