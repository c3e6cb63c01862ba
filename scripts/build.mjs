// Bundles the Worker exactly as a deploy would (wrangler deploy --dry-run) and reports its size.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

const outdir = "dist";
execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir], { stdio: "inherit" });

let raw = 0;
let gzip = 0;
for (const name of readdirSync(outdir)) {
  const file = path.join(outdir, name);
  if (!statSync(file).isFile() || name.endsWith(".map")) continue;
  const bytes = readFileSync(file);
  raw += bytes.length;
  gzip += gzipSync(bytes, { level: 9 }).length;
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`\nBundle: ${kib(raw)} raw, ${kib(gzip)} gzip (Workers limit: 3 MiB gzip on Free, 10 MiB on Paid)`);
