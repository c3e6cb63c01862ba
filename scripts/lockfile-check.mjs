// Fails when package.json and package-lock.json have drifted apart (`npm run lockfile:check`,
// the first step of `npm test`). Two checks:
//
// 1. The dependency lists package.json declares are exactly the ones the lockfile recorded for
//    the project (its "" package): a dependency added, removed, re-pinned or moved between
//    dependencies and devDependencies without `npm install` shows up here. `npm ci` alone
//    misses a removed dependency and a move.
// 2. `npm ci --dry-run`: npm's own check that the lockfile can install package.json as it is,
//    for every platform's optional packages too ("Missing: … from lock file"). Nothing is
//    installed or removed, and a lockfile in sync needs no network.
//
// Fix a drift with `npm install` (which rewrites package-lock.json) and commit both files.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const FIELDS = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"];

const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
const locked = lock.packages?.[""] ?? {};

const problems = [];
for (const field of FIELDS) {
  const want = manifest[field] ?? {};
  const have = locked[field] ?? {};
  for (const name of new Set([...Object.keys(want), ...Object.keys(have)])) {
    if (want[name] === have[name]) continue;
    if (have[name] === undefined) problems.push(`${field}.${name} is "${want[name]}" in package.json, missing from package-lock.json`);
    else if (want[name] === undefined) problems.push(`${field}.${name} is "${have[name]}" in package-lock.json, missing from package.json`);
    else problems.push(`${field}.${name} is "${want[name]}" in package.json, "${have[name]}" in package-lock.json`);
  }
}

if (problems.length === 0) {
  // npm_execpath is npm's own CLI when this runs as an npm script; otherwise npm from PATH.
  const npmCli = process.env.npm_execpath;
  const args = ["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"];
  const run = npmCli?.endsWith(".js")
    ? spawnSync(process.execPath, [npmCli, ...args], { cwd: ROOT, encoding: "utf8" })
    : spawnSync("npm", args, { cwd: ROOT, encoding: "utf8", shell: process.platform === "win32" });
  if (run.status !== 0) {
    const lines = `${run.stderr ?? ""}${run.error?.message ?? ""}`.split("\n");
    const reasons = lines.filter((l) => /Missing:|Invalid:|in sync|ERR|error code/.test(l) && !/^npm error\s*$/.test(l));
    problems.push(`npm ci --dry-run fails:\n    ${(reasons.length > 0 ? reasons : lines.slice(0, 20)).join("\n    ")}`);
  }
}

if (problems.length > 0) {
  console.error("package-lock.json does not match package.json:");
  for (const p of problems) console.error(`  - ${p}`);
  console.error("Run `npm install` to update package-lock.json, then commit both files.");
  process.exit(1);
}
console.log("package-lock.json matches package.json.");
