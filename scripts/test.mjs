// The two test suites of `npm test`, run at the same time: the workerd and Node suite
// (vitest.config.ts) and the end-to-end suite (vitest.e2e.config.ts). The end-to-end files
// spend most of their time waiting for `wrangler dev` and the clients they start, which leaves
// CPU for the workerd suite; run one after the other they took about 1.7 times as long.
//
// The workerd suite's output is shown as it comes; the end-to-end suite's is held back until
// the workerd suite has finished, then shown (and from then on as it comes). Exits non-zero when
// either suite fails. `npx vitest run` and `npm run test:e2e` run one suite each.
import { spawn } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const VITEST = path.join(ROOT, "node_modules", "vitest", "vitest.mjs");
// The project's own tools first on PATH (Node 22 for wrangler), as under `npm run`; colours kept
// in the held-back output when the terminal shows colours.
const env = { ...process.env, PATH: [path.join(ROOT, "node_modules", ".bin"), process.env.PATH].join(path.delimiter) };
if (process.stdout.isTTY && !("NO_COLOR" in env)) env.FORCE_COLOR = "1";

/** Runs one suite; `hold` buffers its output until `release()` is called. */
function suite(name, args, hold) {
  const started = Date.now();
  const child = spawn(process.execPath, [VITEST, "run", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let held = hold ? [] : null;
  const write = (stream, chunk) => (held ? held.push([stream, chunk]) : stream.write(chunk));
  child.stdout.on("data", (chunk) => write(process.stdout, chunk));
  child.stderr.on("data", (chunk) => write(process.stderr, chunk));
  const done = new Promise((resolve) => {
    child.on("error", (error) => resolve({ name, ok: false, detail: error.message, seconds: 0 }));
    child.on("close", (code, signal) =>
      resolve({
        name,
        ok: code === 0,
        detail: signal ? `killed by ${signal}` : `exit code ${code}`,
        seconds: (Date.now() - started) / 1000,
      }),
    );
  });
  return {
    child,
    done,
    release() {
      for (const [stream, chunk] of held ?? []) stream.write(chunk);
      held = null;
    },
  };
}

const workerd = suite("workerd + Node suite (vitest.config.ts)", [], false);
const e2e = suite("end-to-end suite (vitest.e2e.config.ts)", ["-c", "vitest.e2e.config.ts"], true);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const { child } of [workerd, e2e]) child.kill(signal);
  });
}

const results = [await workerd.done];
process.stdout.write("\n── end-to-end suite (started together with the workerd suite) ──\n");
e2e.release();
results.push(await e2e.done);

process.stdout.write("\n");
for (const r of results) {
  process.stdout.write(`${r.ok ? "passed" : "FAILED"}  ${r.name} in ${r.seconds.toFixed(0)} s${r.ok ? "" : ` (${r.detail})`}\n`);
}
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
