// `npm run clients -- <command>`: manage pre-registered OAuth clients (e.g. Blockbrain) and users'
// grants through the Worker's operator API. Works against `wrangler dev` and a deployed Worker alike.
//
//   npm run clients -- create --name Blockbrain --redirect-uri https://…/oauth/callback [--auth post|basic|both] [--tenant <tid>…]
//   npm run clients -- list
//   npm run clients -- delete <client-id>
//   npm run clients -- grants <user-key>
//   npm run clients -- revoke <user-key> [<grant-id>]
//
// Options: --url <worker origin> (default $PANDGATE_URL or http://localhost:8787).
// The operator secret comes from $OPERATOR_SECRET; it is never taken from the command line.
import { parseArgs } from "node:util";

const USAGE = `usage:
  npm run clients -- create --name <name> --redirect-uri <uri> [--redirect-uri <uri>…] [--auth post|basic|both] [--tenant <tenant-id>…] [--url <origin>]
  npm run clients -- list [--url <origin>]
  npm run clients -- delete <client-id> [--url <origin>]
  npm run clients -- grants <user-key> [--url <origin>]
  npm run clients -- revoke [--url <origin>] -- <user-key> [<grant-id>]   ("--" before ids that may start with "-")
--tenant binds the client to Entra tenant ids (GUIDs): only their users may sign in through it.
A user key is entra.<tenant id>.<object id> for an Entra user; Get_Server_Info shows the signed-in user their own.
revoke without a grant id revokes every grant of the user. Add --json for machine-readable output.
Set OPERATOR_SECRET in the environment (the Worker's OPERATOR_SECRET).
Every one of these is recorded in the audit trail; read it with npm run audit (npm run audit -- --help).`;

function fail(message) {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: "string" },
      "redirect-uri": { type: "string", multiple: true },
      tenant: { type: "string", multiple: true },
      auth: { type: "string", default: "both" },
      url: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
} catch (error) {
  fail(error.message);
}
const { values, positionals } = parsed;
const [command, ...rest] = positionals;
const origin = (values.url ?? process.env.PANDGATE_URL ?? "http://localhost:8787").replace(/\/$/, "");
const secret = process.env.OPERATOR_SECRET;
if (!command) fail("Say what to do: create, list, delete, grants or revoke.");
if (!secret) fail("OPERATOR_SECRET is not set.");

async function call(method, path, body) {
  let res;
  try {
    res = await fetch(`${origin}${path}`, {
      method,
      headers: { authorization: `Bearer ${secret}`, ...(body && { "content-type": "application/json" }) },
      ...(body && { body: JSON.stringify(body) }),
    });
  } catch {
    console.error(`Could not reach ${origin}. Is the Worker running (npm run dev), or is --url right?`);
    process.exit(1);
  }
  if (res.status === 401) {
    console.error("The Worker refused the operator secret (401): OPERATOR_SECRET does not match the Worker's.");
    process.exit(1);
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    console.error(`${method} ${path} failed (${res.status}): ${data?.message ?? text}`);
    process.exit(1);
  }
  return data;
}

switch (command) {
  case "create": {
    if (!values.name) fail("create needs --name.");
    if (!values["redirect-uri"]?.length) fail("create needs at least one --redirect-uri.");
    const methods = { post: "client_secret_post", basic: "client_secret_basic", both: undefined };
    if (!(values.auth in methods)) fail("--auth takes post, basic or both.");
    const client = await call("POST", "/admin/clients", {
      name: values.name,
      redirectUris: values["redirect-uri"],
      ...(methods[values.auth] && { authMethod: methods[values.auth] }),
      ...(values.tenant?.length && { tenants: values.tenant }),
    });
    if (values.json) {
      console.log(JSON.stringify(client));
      break;
    }
    console.log(`Created client "${client.name}"`);
    console.log(`  client_id:     ${client.clientId}`);
    console.log(`  client_secret: ${client.clientSecret}`);
    console.log(`  redirect URIs: ${client.redirectUris.join(", ")}`);
    console.log(`  token auth:    ${values.auth === "both" ? "client_secret_post or client_secret_basic" : methods[values.auth]}`);
    console.log(`  tenants:       ${client.tenants.length ? client.tenants.join(", ") : "any tenant the server allows"}`);
    console.log(`  authorization server: ${origin} (metadata: ${origin}/.well-known/oauth-authorization-server)`);
    console.log("\nThe secret is shown only this once; store it in the client now.");
    break;
  }
  case "list": {
    const { clients } = await call("GET", "/admin/clients");
    if (values.json) {
      console.log(JSON.stringify(clients));
      break;
    }
    if (clients.length === 0) console.log("No clients registered.");
    for (const c of clients) {
      const tenants = c.tenants?.length ? `  tenants: ${c.tenants.join(",")}` : "";
      console.log(`${c.clientId}  ${c.name ?? "(no name)"}  ${c.tokenEndpointAuthMethod}  ${c.redirectUris.join(" ")}${tenants}`);
    }
    break;
  }
  case "delete": {
    const [id] = rest;
    if (!id) fail("delete needs the client id.");
    await call("DELETE", `/admin/clients/${encodeURIComponent(id)}`);
    console.log(`Deleted client ${id} and revoked its grants.`);
    break;
  }
  case "grants": {
    const [userKey] = rest;
    if (!userKey) fail("grants needs the user key.");
    const { grants } = await call("GET", `/admin/users/${encodeURIComponent(userKey)}/grants`);
    if (values.json) {
      console.log(JSON.stringify(grants));
      break;
    }
    if (grants.length === 0) console.log(`No grants for ${userKey}.`);
    for (const g of grants) {
      const client = g.clientName ? `${g.clientName} (${g.clientId})` : g.clientId;
      console.log(`${g.grantId}  ${client}  ${g.scopes.join(" ")}  created ${g.createdAt}  expires ${g.expiresAt ?? "never"}`);
    }
    break;
  }
  case "revoke": {
    const [userKey, grantId] = rest;
    if (!userKey) fail("revoke needs the user key (and optionally one grant id).");
    const path = `/admin/users/${encodeURIComponent(userKey)}/grants${grantId ? `/${encodeURIComponent(grantId)}` : ""}`;
    const result = await call("DELETE", path);
    if (values.json) {
      console.log(JSON.stringify(result));
      break;
    }
    console.log(
      result.revoked === 0
        ? `${result.userKey} had no grants; nothing to revoke.`
        : `Revoked ${result.revoked} grant(s) of ${result.userKey}: ${result.grantIds.join(", ")}. Their access and refresh tokens no longer work.`,
    );
    break;
  }
  default:
    fail(`Unknown command "${command}".`);
}
