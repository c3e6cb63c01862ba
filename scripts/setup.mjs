// `npm run setup`: prepares (and re-prepares) a Cloudflare deployment of pandgate with wrangler.
//
// One command, safe to run again: every step looks before it creates, so a run that failed half
// way continues where it stopped.
//   1. KV namespace, D1 database and audit queue: found by name with wrangler's list commands
//      (`kv namespace list` is JSON, `d1 list --json`, `queues list` is a table), created when
//      missing. The R2 bucket of portfolio files (FILES; bucket_name in wrangler.toml) likewise:
//      `r2 bucket list` prints "name:"/"creation_date:" pairs, `r2 bucket create <name>` when it
//      is missing. Rate limiting bindings need no creation, only a namespace_id unique in the
//      account (the ones in wrangler.toml are kept); the portfolio workflow neither: `wrangler
//      deploy` creates or updates it with the Worker.
//   2. Their ids, and the settings, go into `.deploy/state.json`; `wrangler.deploy.jsonc` is
//      generated from wrangler.toml with the real ids and the settings filled in. Both are
//      git-ignored and rewritten on every run: never edit them, edit wrangler.toml or re-run.
//      Every later wrangler command against the deployment uses `--config wrangler.deploy.jsonc`.
//      wrangler.toml stays as it is (dev and tests use it).
//   3. COOKIE_SECRET and OPERATOR_SECRET are generated once (48 random bytes, base64url) and kept
//      with IDP_CLIENT_SECRET (and EP_ONLINE_API_KEY) in `.deploy/secrets.json` (mode 0600); they
//      are uploaded with the deploy (`wrangler deploy --secrets-file`), so the Worker never runs
//      without them. `--rotate-secrets` makes new ones.
//   4. `wrangler d1 migrations apply DB --remote` (applies only what is missing).
//   5. The synthetic dataset: loaded with `d1 execute --remote --file seed/seed.sql` unless
//      service_meta's `dataset` row already names it. Skipped with DATA_SOURCE=live.
//   6. `wrangler deploy`. Without PUBLIC_URL the first deploy prints the workers.dev URL; it is
//      kept as PUBLIC_URL and the Worker is deployed again with it.
//   7. Prints the MCP URL and the redirect URI to register, and checks GET /health.
//
// Settings come from the environment (CI), then from the last run, then from a prompt (TTY).
// Options: --dry-run (print the wrangler commands in order, run and write nothing),
// --rotate-secrets, --health-url <origin> (check this origin instead of PUBLIC_URL),
// --yes (no prompts: take stored values and defaults; fail on what is missing).
// wrangler is taken from PATH, then node_modules/.bin (the tests put a stand-in first on PATH).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { buildApps } from "./build-apps.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// Where the generated files go: the repository, or PANDGATE_SETUP_DIR (the tests' temp folder).
const outDir = path.resolve(process.env.PANDGATE_SETUP_DIR || root);
const stateDir = path.join(outDir, ".deploy");
const stateFile = path.join(stateDir, "state.json");
const secretsFile = path.join(stateDir, "secrets.json");
const deployConfigName = "wrangler.deploy.jsonc";
const deployConfig = path.join(outDir, deployConfigName);
const deployConfigArg = path.relative(root, deployConfig);
const seedFile = path.join(root, "seed", "seed.sql");

const KV_TITLE = "pandgate-oauth-kv";

/** Settings written as [vars]: name, question, whether required (a function of the others). */
const VARS = [
  ["IDP_KIND", "Identity provider kind (entra, b2c, external-id, oidc)", () => true, "entra"],
  ["IDP_TENANT", "Tenant (entra: GUID, domain, organizations or common; b2c: name; external-id: GUID)", (s) => s.IDP_KIND !== "oidc"],
  ["IDP_CLIENT_ID", "Application (client) id of pandgate's app registration", () => true],
  ["IDP_POLICY", "B2C user flow or policy (e.g. B2C_1_signupsignin)", (s) => s.IDP_KIND === "b2c"],
  ["IDP_DOMAIN", "External ID host (contoso.ciamlogin.com) or B2C custom domain", (s) => s.IDP_KIND === "external-id"],
  ["IDP_ISSUER", "OIDC issuer URL", (s) => s.IDP_KIND === "oidc"],
  ["ALLOWED_TENANT_IDS", "Allowed tenant ids, comma-separated (empty: only the configured tenant; * any)", () => false],
  ["DATA_SOURCE", "Data source (synthetic or live)", () => false, "synthetic"],
  ["PUBLIC_URL", "Public URL (empty: the workers.dev URL of the first deploy)", () => false],
];
/** Secrets asked for (the generated ones are not). */
const ASKED_SECRETS = [
  ["IDP_CLIENT_SECRET", "Client secret of that app registration", () => true],
  ["EP_ONLINE_API_KEY", "EP-Online API key (optional, live energy labels)", () => false],
];

function parseArgs(argv) {
  const options = { dryRun: false, rotateSecrets: false, healthUrl: process.env.PANDGATE_HEALTH_URL || null, yes: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--dry-run") options.dryRun = true;
    else if (arg === "--rotate-secrets") options.rotateSecrets = true;
    else if (arg === "--yes" || arg === "-y") options.yes = true;
    else if (arg === "--health-url") options.healthUrl = argv[++i];
    else if (arg.startsWith("--health-url=")) options.healthUrl = arg.slice("--health-url=".length);
    else if (arg === "--help" || arg === "-h") {
      console.log(
        readFileSync(fileURLToPath(import.meta.url), "utf8")
          .split("\nimport ")[0]
          .replace(/^\/\/ ?/gm, ""),
      );
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (see --help)`);
  }
  return options;
}

function readJson(file, fallback) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return fallback;
  }
}

function writeJson(file, value, mode = 0o644) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`, { mode });
}

/** How a command is shown: arguments with spaces quoted. */
function show(args) {
  const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : /^[^"$`\\]*$/.test(a) ? `"${a}"` : `'${a.replaceAll("'", "'\\''")}'`);
  return ["npx", "wrangler", ...args].map(quote).join(" ");
}

/** Runs wrangler (PATH first, then node_modules/.bin); resolves with its standard output. */
function wrangler(args, { env = {}, echo = true } = {}) {
  console.log(`\n$ ${show(args)}`);
  const pathVar = [process.env.PATH, path.join(root, "node_modules", ".bin")].filter(Boolean).join(path.delimiter);
  return new Promise((resolve, reject) => {
    // stdin is not a terminal, so wrangler asks nothing (migrations apply's confirmation).
    const childEnv = { ...process.env, PATH: pathVar, ...env };
    for (const [key, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[key];
    const child = spawn("wrangler", args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: childEnv });
    let stdout = "";
    let all = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      all += d;
      if (echo) process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      all += d;
      process.stderr.write(d);
    });
    child.on("error", (e) => reject(new Error(`could not start wrangler: ${e.message}`)));
    child.on("exit", (code) =>
      code === 0 ? resolve(stdout) : reject(Object.assign(new Error(`${show(args)} failed (exit ${code})`), { output: all })),
    );
  });
}

/** The first JSON array or object in wrangler's output (it may print a banner before it). */
export function parseJsonOutput(text) {
  const start = text.search(/^\s*[[{]/m);
  if (start < 0) throw new Error(`wrangler printed no JSON:\n${text}`);
  return JSON.parse(text.slice(start));
}

/** Rows of a cli-table3 table as printed by `wrangler queues list` (header row gives the keys). */
export function parseTable(text) {
  const rows = text
    .split("\n")
    .filter((line) => line.trim().startsWith("│"))
    .map((line) =>
      line
        .trim()
        .slice(1, -1)
        .split("│")
        .map((c) => c.trim()),
    );
  if (rows.length === 0) return [];
  const [head, ...body] = rows;
  return body.map((cells) => Object.fromEntries(head.map((h, i) => [h, cells[i] ?? ""])));
}

/**
 * Bucket names in `wrangler r2 bucket list`'s output: one block per bucket, "name:" and
 * "creation_date:" with their values aligned (wrangler's formatLabelledValues; colours only on a
 * terminal, stripped here all the same).
 */
export function parseR2BucketNames(text) {
  return stripVTControlCharacters(text)
    .split("\n")
    .map((line) => /^name:\s+(\S+)\s*$/.exec(line)?.[1])
    .filter(Boolean);
}

/** The workers.dev URL `wrangler deploy` prints under "Deployed <name> triggers". */
export function parseDeployUrl(text) {
  return /https:\/\/[a-z0-9.-]+\.workers\.dev\b/i.exec(text)?.[0] ?? null;
}

function secret(bytes = 48) {
  return randomBytes(bytes).toString("base64url");
}

/** The `dataset` value seed/seed.sql writes into service_meta (its last statement), or null. */
function seedDataset() {
  if (!existsSync(seedFile)) return null;
  return (
    /^INSERT OR REPLACE INTO service_meta \(key, value\) VALUES \('dataset', '([^']*)'\);$/m.exec(readFileSync(seedFile, "utf8"))?.[1] ??
    null
  );
}

/** Settings: environment, then the last run, then a prompt (TTY), then the default. */
async function gather(options, state, secrets) {
  const interactive = process.stdin.isTTY && !options.yes && !options.dryRun;
  const rl = interactive ? createInterface({ input: process.stdin, output: process.stdout }) : null;
  const vars = {};
  const asked = {};
  const missing = [];
  const resolve = async (name, question, required, fallback, stored, target, isSecret) => {
    const fromEnv = process.env[name];
    let value = fromEnv !== undefined && fromEnv !== "" ? fromEnv : (stored ?? undefined);
    if (rl && (fromEnv === undefined || fromEnv === "")) {
      const shown = value === undefined ? (fallback ?? "") : isSecret ? "keep the stored value" : value;
      const answer = (await rl.question(`${question}${shown ? ` [${shown}]` : ""}: `)).trim();
      if (answer) value = answer;
    }
    if (value === undefined || value === "") value = fallback;
    if ((value === undefined || value === "") && required(vars)) {
      if (options.dryRun) value = `<${name}>`;
      else missing.push(name);
    }
    if (value !== undefined && value !== "") target[name] = value;
  };
  try {
    for (const [name, question, required, fallback] of VARS) {
      await resolve(name, question, required, fallback, state.vars?.[name], vars, false);
    }
    for (const [name, question, required] of ASKED_SECRETS) {
      await resolve(name, question, required, undefined, secrets[name], asked, true);
    }
  } finally {
    rl?.close();
  }
  if (missing.length > 0) {
    throw new Error(
      `missing settings: ${missing.join(", ")}. Set them in the environment (CI) or run npm run setup in a terminal to be asked.`,
    );
  }
  if (vars.DATA_SOURCE && !["synthetic", "live"].includes(vars.DATA_SOURCE)) throw new Error('DATA_SOURCE must be "synthetic" or "live"');
  if (vars.PUBLIC_URL) vars.PUBLIC_URL = vars.PUBLIC_URL.replace(/\/+$/, "");
  return { vars, asked };
}

/** wrangler.toml with the deployment's ids and vars: what `--config wrangler.deploy.jsonc` deploys. */
function deploymentConfig(state) {
  const require = createRequire(import.meta.url);
  const { experimental_readRawConfig } = require(path.join(root, "node_modules", "wrangler"));
  const { rawConfig } = experimental_readRawConfig({ config: path.join(root, "wrangler.toml") });
  const config = structuredClone(rawConfig);
  config.kv_namespaces = (config.kv_namespaces ?? []).map((kv) =>
    kv.binding === "OAUTH_KV" ? { binding: kv.binding, id: state.kvId } : kv,
  );
  config.d1_databases = (config.d1_databases ?? []).map((db) =>
    db.binding === "DB" ? { ...db, database_name: state.d1Name, database_id: state.d1Id } : db,
  );
  config.r2_buckets = (config.r2_buckets ?? []).map((r2) =>
    r2.binding === "FILES" && state.r2Bucket ? { ...r2, bucket_name: state.r2Bucket } : r2,
  );
  config.vars = { ...config.vars, ...state.vars };
  // Paths in a wrangler config are relative to the config file.
  const rel = (p) => {
    const r = path.relative(path.dirname(deployConfig), path.resolve(root, p));
    return r.startsWith(".") ? r : `./${r}`;
  };
  config.main = rel(config.main);
  for (const key of Object.keys(config.alias ?? {})) if (config.alias[key].startsWith(".")) config.alias[key] = rel(config.alias[key]);
  for (const db of config.d1_databases) if (db.migrations_dir) db.migrations_dir = rel(db.migrations_dir);
  if (config.assets?.directory) config.assets = { ...config.assets, directory: rel(config.assets.directory) };
  if (!state.vars.PUBLIC_URL) delete config.vars.PUBLIC_URL;
  return `// Generated by npm run setup from wrangler.toml: do not edit (changes are overwritten).
// Use it for every wrangler command against the deployment: npx wrangler <command> --config ${deployConfigName}
${JSON.stringify({ $schema: rel("node_modules/wrangler/config-schema.json"), ...config }, null, 2)}
`;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const dry = options.dryRun;
  const plan = [];
  /** In a dry run: note the command; otherwise run it. */
  const step = async (args, note, runOptions) => {
    if (dry) {
      plan.push(`${show(args)}${note ? `    # ${note}` : ""}`);
      return "";
    }
    return wrangler(args, runOptions);
  };

  const toml = readFileSync(path.join(root, "wrangler.toml"), "utf8");
  const d1Name = /database_name\s*=\s*"([^"]+)"/.exec(toml)?.[1] ?? "pandgate";
  const queueName = /queue\s*=\s*"([^"]+)"/.exec(toml)?.[1] ?? "pandgate-audit";
  const bucketName = /bucket_name\s*=\s*"([^"]+)"/.exec(toml)?.[1] ?? "pandgate-files";

  const state = readJson(stateFile, {});
  const secrets = readJson(secretsFile, {});
  const { vars, asked } = await gather(options, state, secrets);
  state.vars = vars;
  state.d1Name = d1Name;
  const save = () => {
    if (!dry) writeJson(stateFile, state);
  };

  // Secrets: generated once, kept; asked ones as given. Written before anything is created.
  for (const name of ["COOKIE_SECRET", "OPERATOR_SECRET"]) {
    if (!secrets[name] || options.rotateSecrets) secrets[name] = secret();
  }
  Object.assign(secrets, asked);
  if (!dry) writeJson(secretsFile, secrets, 0o600);

  // 1. KV namespace.
  const kvList = await step(["kv", "namespace", "list"], `find the KV namespace titled ${KV_TITLE}`, { echo: false });
  const findKv = (out) => parseJsonOutput(out).find((ns) => ns.title === KV_TITLE)?.id;
  state.kvId = dry ? "<id>" : findKv(kvList);
  if (!state.kvId || dry) {
    await step(["kv", "namespace", "create", KV_TITLE], "only if it is missing");
    if (!dry) {
      state.kvId = findKv(await wrangler(["kv", "namespace", "list"], { echo: false }));
      if (!state.kvId) throw new Error(`the KV namespace ${KV_TITLE} was created but is not listed`);
    }
  } else console.log(`KV namespace ${KV_TITLE} exists: ${state.kvId}`);
  save();

  // 2. D1 database.
  const findD1 = (out) => parseJsonOutput(out).find((db) => db.name === d1Name)?.uuid;
  const d1List = await step(["d1", "list", "--json"], `find the D1 database ${d1Name}`, { echo: false });
  state.d1Id = dry ? "<uuid>" : findD1(d1List);
  if (!state.d1Id || dry) {
    await step(["d1", "create", d1Name], "only if it is missing");
    if (!dry) {
      state.d1Id = findD1(await wrangler(["d1", "list", "--json"], { echo: false }));
      if (!state.d1Id) throw new Error(`the D1 database ${d1Name} was created but is not listed`);
    }
  } else console.log(`D1 database ${d1Name} exists: ${state.d1Id}`);
  save();

  // 3. Queue (no --json: the list is a table).
  const queues = await step(["queues", "list"], `find the queue ${queueName}`, { echo: false });
  const queueExists = !dry && parseTable(queues).some((q) => q.name === queueName);
  if (!queueExists) await step(["queues", "create", queueName], "only if it is missing");
  else console.log(`Queue ${queueName} exists`);
  state.queue = queueName;
  save();

  // 4. R2 bucket of portfolio files (the list is "name:"/"creation_date:" blocks).
  const buckets = await step(["r2", "bucket", "list"], `find the R2 bucket ${bucketName}`, { echo: false });
  const bucketExists = !dry && parseR2BucketNames(buckets).includes(bucketName);
  if (!bucketExists) await step(["r2", "bucket", "create", bucketName], "only if it is missing");
  else console.log(`R2 bucket ${bucketName} exists`);
  state.r2Bucket = bucketName;
  if (!dry) {
    console.log("Rate limiting bindings need nothing created (namespace_id in wrangler.toml, unique in the account).");
    console.log("The portfolio workflow needs nothing created (wrangler deploy creates or updates it with the Worker).");
  }
  save();

  // 5. The deployment config.
  if (!dry) {
    writeFileSync(deployConfig, deploymentConfig(state));
    console.log(`Wrote ${deployConfigArg} (ids and settings; git-ignored, regenerated on every run)`);
  } else plan.push(`# write ${deployConfigName} (wrangler.toml + ids + vars) and .deploy/ (state, secrets)`);
  const cfg = ["--config", deployConfigArg];

  // 6. Migrations (wrangler applies only the missing ones).
  await step(["d1", "migrations", "apply", "DB", "--remote", ...cfg]);

  // 7. Dataset.
  const live = vars.DATA_SOURCE === "live";
  const wanted = seedDataset();
  if (live) console.log("DATA_SOURCE=live: the synthetic dataset is not loaded.");
  else if (wanted) {
    const query = "SELECT value FROM service_meta WHERE key='dataset'";
    const out = await step(["d1", "execute", "DB", "--remote", "--json", ...cfg, "--command", query], "is the dataset loaded?", {
      echo: false,
    });
    const current = dry ? null : (parseJsonOutput(out)[0]?.results?.[0]?.value ?? null);
    if (current === wanted) console.log(`The dataset is loaded (${wanted}).`);
    else {
      if (!dry) console.log(`Loading the synthetic dataset (${wanted}); this takes a while…`);
      await step(["d1", "execute", "DB", "--remote", "--yes", ...cfg, "--file", "seed/seed.sql"], "only if the dataset is not loaded");
    }
  }

  // 8. Deploy, with the secrets (never on the command line: from .deploy/secrets.json).
  // wrangler lets the process environment override the file's values: leave them out.
  // The MCP Apps' pages are Static Assets built from apps/ (dist-apps/ is not committed).
  if (dry) plan.push("# build the MCP Apps into dist-apps/ (scripts/build-apps.mjs)");
  else await buildApps();
  const secretEnv = Object.fromEntries(Object.keys(secrets).map((k) => [k, undefined]));
  const deployArgs = ["deploy", ...cfg, "--secrets-file", path.relative(root, secretsFile)];
  let out = await step(deployArgs, null, { env: secretEnv });
  let workersDev = dry ? null : parseDeployUrl(out);
  if (!vars.PUBLIC_URL) {
    if (dry) {
      plan.push("# PUBLIC_URL unset: take the workers.dev URL the deploy printed, regenerate the config, deploy again");
      await step(deployArgs);
    } else {
      if (!workersDev) throw new Error("wrangler deploy printed no workers.dev URL: set PUBLIC_URL (e.g. your custom domain) and re-run");
      vars.PUBLIC_URL = workersDev;
      save();
      writeFileSync(deployConfig, deploymentConfig(state));
      console.log(`PUBLIC_URL = ${workersDev} (kept for later runs); deploying again with it.`);
      out = await step(deployArgs, null, { env: secretEnv });
      workersDev = parseDeployUrl(out) ?? workersDev;
    }
  }
  state.workersDev = workersDev ?? state.workersDev;
  state.deployedAt = dry ? state.deployedAt : new Date().toISOString();
  save();

  if (dry) {
    console.log("Dry run: the wrangler commands setup runs, in order (nothing was run or written):\n");
    for (const line of plan) console.log(line);
    console.log(`\nthen GET ${options.healthUrl ?? vars.PUBLIC_URL ?? "<PUBLIC_URL>"}/health`);
    return;
  }

  // 9. What to register, and the health check.
  const publicUrl = vars.PUBLIC_URL;
  console.log(`
pandgate is deployed.
  MCP URL (give this to clients):      ${publicUrl}/mcp
  Redirect URI to register at the IdP: ${publicUrl}/oauth/callback
     (Microsoft Entra: App registrations → pandgate → Authentication → Web → Redirect URIs)
  Deployment config:                   ${deployConfigArg} (npx wrangler <command> --config ${deployConfigArg})
  Operator secret (npm run clients):   in .deploy/secrets.json (OPERATOR_SECRET)`);
  const healthUrl = `${(options.healthUrl ?? publicUrl).replace(/\/+$/, "")}/health`;
  const attempts = Number(process.env.PANDGATE_HEALTH_ATTEMPTS ?? 6);
  let problem = "";
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, Number(process.env.PANDGATE_HEALTH_DELAY_MS ?? 5000)));
    try {
      const response = await fetch(healthUrl, { signal: AbortSignal.timeout(10_000) });
      const body = await response.text();
      if (response.ok) {
        console.log(`  Health check: ok (GET ${healthUrl} → ${response.status} ${body.slice(0, 200)})`);
        return;
      }
      problem = `${response.status} ${body.slice(0, 200)}`;
    } catch (e) {
      problem = e.cause?.code ?? e.message;
    }
  }
  console.error(`  Health check FAILED: GET ${healthUrl} → ${problem}
  The deploy went through. A new workers.dev subdomain can take a few minutes to resolve; try
  curl ${healthUrl} in a while. If it answers 5xx, see npx wrangler tail --config ${deployConfigArg}.`);
  process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`\nsetup stopped: ${e.message}`);
    if (e.output) console.error("Fix the cause and run npm run setup again: it continues where it stopped.");
    process.exit(1);
  });
}
