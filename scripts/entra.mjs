// `npm run entra -- manifest`: register pandgate with Microsoft without the portal. Prints the app
// registration as Microsoft Graph `application` JSON and the Azure CLI commands that create it,
// then the settings to give pandgate. Nothing is sent anywhere; run the printed commands yourself.
//
//   npm run entra -- manifest [--kind entra-single|entra-multi|b2c|external-id] [--url <PUBLIC_URL>] [--name <display name>] [--json]
//
// --url defaults to $PUBLIC_URL, else it is asked for (on a terminal). The pure parts live in
// scripts/entra/manifest.mjs.
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { afterwards, azCommands, checkPublicUrl, DEFAULT_NAME, isKind, KINDS, renderScript, UsageError } from "./entra/manifest.mjs";

const USAGE = `usage:
  npm run entra -- manifest [--kind entra-single|entra-multi|b2c|external-id] [--url <PUBLIC_URL>] [--name <display name>] [--json]
--kind   which Microsoft sign-in (default entra-single): one Entra tenant, several Entra tenants,
         Azure AD B2C user flows, or an Entra External ID tenant
--url    pandgate's PUBLIC_URL, e.g. https://pandgate.<account>.workers.dev (default $PUBLIC_URL)
--name   the app's display name (default ${DEFAULT_NAME})
--json   one JSON object: { kind, application, files, commands, settings, afterwards }`;

function fail(message) {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      kind: { type: "string", default: "entra-single" },
      url: { type: "string" },
      name: { type: "string", default: DEFAULT_NAME },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (error) {
  fail(error.message);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [command, ...extra] = positionals;
if (command !== "manifest") fail(command ? `Unknown command "${command}".` : "Say what to do: manifest.");
if (extra.length > 0) fail(`Unexpected argument "${extra[0]}".`);
if (!isKind(values.kind)) fail(`--kind "${values.kind}" is not one of ${Object.keys(KINDS).join(", ")}.`);

async function askUrl() {
  if (!process.stdin.isTTY || values.json) {
    fail("Give pandgate's public URL with --url (or set PUBLIC_URL), e.g. --url https://pandgate.<account>.workers.dev");
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question("pandgate's public URL (PUBLIC_URL), e.g. https://pandgate.<account>.workers.dev: ");
  } finally {
    rl.close();
  }
}

let plan;
try {
  const url = checkPublicUrl(values.url ?? process.env.PUBLIC_URL ?? (await askUrl()));
  plan = azCommands(values.kind, url, values.name);
} catch (error) {
  if (error instanceof UsageError) fail(error.message);
  throw error;
}

if (values.json) {
  console.log(
    JSON.stringify(
      {
        kind: plan.kind,
        application: plan.application,
        files: plan.files,
        commands: plan.commands.map((c) => ({ ...c })),
        settings: plan.settings.map(([setting, value, note]) => ({ setting, value, note })),
        afterwards: afterwards(plan.kind),
      },
      null,
      2,
    ),
  );
} else {
  console.log(`## 1. The app registration (Microsoft Graph application JSON, ${KINDS[plan.kind].label})`);
  console.log("## POST it to https://graph.microsoft.com/v1.0/applications, paste it on the app's Manifest page, or use part 2.\n");
  console.log(JSON.stringify(plan.application, null, 2));
  console.log("\n## 2. The same with the Azure CLI (bash)\n");
  console.log(renderScript(plan));
}
