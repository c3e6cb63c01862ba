// `npm run test:stress`: the test suites of `npm test` (scripts/test.mjs: the workerd and Node
// suite and the end-to-end suite) run beside a CPU load that keeps every core busy, several
// rounds in a row, stopping at the first failing round. It shows that the suite waits for events
// (or polls against generous deadlines) rather than for fixed short times that a busy machine
// overruns: CI machines and developer laptops are often shared.
//
// The load is one Node process per core, each spinning in a busy loop. They are started before
// the first round, and stopped by the pids recorded here, when the rounds end, on SIGINT/SIGTERM
// and on exit; each also ends by itself once this script is gone (it checks its parent).
//
//   node scripts/test-stress.mjs [--rounds N] [--burners N]
//
// --rounds   how many rounds must pass in a row (default 3)
// --burners  how many busy processes (default: one per core, os.availableParallelism())
//
// For each round it reports pass/fail, the duration and the 1-minute load average (at the start,
// the highest seen while the round ran, and at the end). Exits non-zero at the first failing round.
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const ROOT = path.resolve(import.meta.dirname, "..");

function positiveInteger(name, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`test:stress: --${name} must be a whole number of 1 or more, not "${value}"\n`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    burners: { type: "string", default: String(os.availableParallelism()) },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write("Usage: npm run test:stress -- [--rounds N] [--burners N]\n");
  process.exit(0);
}
const ROUNDS = positiveInteger("rounds", values.rounds);
const BURNERS = positiveInteger("burners", values.burners);

// A busy loop that looks up, every few million turns, whether the process that started it is
// still there; when it is not (this script was killed with SIGKILL), it ends too.
const BUSY_LOOP = `
const parent = ${process.pid};
let x = 0;
for (let i = 1; ; i++) {
  x = (x * 31 + i) | 0;
  if (i % 5e6 === 0 && process.ppid !== parent) process.exit(0);
}
`;

/** pid → ChildProcess of every busy process this script started and has not seen end. */
const burners = new Map();

function startBurners() {
  for (let i = 0; i < BURNERS; i++) {
    const child = spawn(process.execPath, ["-e", BUSY_LOOP], { stdio: "ignore" });
    if (child.pid === undefined) throw new Error("could not start a busy process");
    burners.set(child.pid, child);
    child.once("exit", () => burners.delete(child.pid));
  }
}

/** Stops exactly the busy processes started above, by their recorded pids. Safe to call twice. */
function stopBurners() {
  for (const pid of burners.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  burners.clear();
}

/** The test run in progress, so that a signal can pass on to it. */
let current;

/** Set by SIGINT/SIGTERM/SIGHUP: no further round starts. */
let stopping;

process.on("exit", stopBurners);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    stopBurners();
    if (stopping) return;
    stopping = signal;
    process.stdout.write(`\ntest:stress: ${signal}: busy processes stopped, waiting for the test run to end\n`);
    if (!current) process.exit(130);
    // scripts/test.mjs passes the signal on to the vitest processes it started and then ends.
    current.kill(signal);
    setTimeout(() => process.exit(130), 30_000).unref();
  });
}

/** Runs `node scripts/test.mjs` once, sampling the load average while it runs. */
function round() {
  const started = Date.now();
  const load = { start: os.loadavg()[0], peak: os.loadavg()[0], end: 0 };
  const sampler = setInterval(() => {
    load.peak = Math.max(load.peak, os.loadavg()[0]);
  }, 2_000);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts", "test.mjs")], { cwd: ROOT, stdio: "inherit" });
    current = child;
    const finish = (ok, detail) => {
      clearInterval(sampler);
      current = undefined;
      load.end = os.loadavg()[0];
      load.peak = Math.max(load.peak, load.end);
      resolve({ ok, detail, seconds: (Date.now() - started) / 1000, load });
    };
    child.once("error", (error) => finish(false, error.message));
    child.once("exit", (code, signal) => finish(code === 0, signal ? `killed by ${signal}` : `exit code ${code}`));
  });
}

const line = (n, r) =>
  `round ${n}/${ROUNDS}: ${r.ok ? "passed" : `FAILED (${r.detail})`} in ${r.seconds.toFixed(0)} s; ` +
  `load average ${r.load.start.toFixed(1)} at the start, ${r.load.peak.toFixed(1)} at most, ${r.load.end.toFixed(1)} at the end`;

process.stdout.write(
  `test:stress: ${ROUNDS} round(s) of the test suites beside ${BURNERS} busy process(es) on ${os.availableParallelism()} core(s)\n`,
);
startBurners();
process.stdout.write(`test:stress: busy processes ${[...burners.keys()].join(", ")}\n`);

const results = [];
for (let n = 1; n <= ROUNDS; n++) {
  process.stdout.write(`\n══ test:stress round ${n}/${ROUNDS} ══\n`);
  const r = await round();
  results.push(r);
  process.stdout.write(`\n══ ${line(n, r)} ══\n`);
  if (!r.ok || stopping) break;
}
stopBurners();

process.stdout.write("\ntest:stress summary\n");
for (const [i, r] of results.entries()) process.stdout.write(`  ${line(i + 1, r)}\n`);
const passed = results.length === ROUNDS && results.every((r) => r.ok);
process.stdout.write(passed ? `test:stress: all ${ROUNDS} rounds passed\n` : "test:stress: stopped at the first failing round\n");
process.exitCode = passed ? 0 : 1;
