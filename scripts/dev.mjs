// `npm run dev`: the Worker under wrangler dev. Without an identity provider configured in
// .dev.vars, it also starts the local Entra-shaped dev IdP and points the Worker at it.
import { existsSync, readFileSync } from "node:fs";
import { startDevIdp } from "./dev-idp.mjs";
import { randomSecret, startWorker } from "./local-stack.mjs";

const port = Number(process.env.PORT ?? 8787);
const idpPort = Number(process.env.DEV_IDP_PORT ?? 9090);
const devVars = existsSync(".dev.vars") ? readFileSync(".dev.vars", "utf8") : "";
const upstreamConfigured = /^\s*IDP_KIND\s*=/m.test(devVars);

const stops = [];
async function shutdown() {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

/** A setting from .dev.vars (NAME=value or NAME="value"), if there. */
function devVar(name) {
  const line = new RegExp(`^\\s*${name}\\s*=\\s*(.*?)\\s*$`, "m").exec(devVars);
  return line ? line[1].replace(/^"(.*)"$/, "$1") : undefined;
}

// PUBLIC_URL is the origin clients and browsers use: this machine by default, or a tunnel's https
// origin (PUBLIC_URL=https://….trycloudflare.com npm run dev) so hosted clients can reach it.
const localUrl = `http://localhost:${port}`;
const publicUrl = (process.env.PUBLIC_URL || devVar("PUBLIC_URL") || localUrl).replace(/\/+$/, "");
const hostedReachable = publicUrl.startsWith("https://") && !/^https:\/\/(localhost|127\.|\[::1\])/.test(publicUrl);
const vars = { PUBLIC_URL: publicUrl };
let idp;
const operatorSecret = process.env.OPERATOR_SECRET ?? "dev-operator-secret-local-only-0123456789";
if (!upstreamConfigured) {
  const client = { client_id: "pandgate-dev", client_secret: randomSecret(), redirect_uris: [`${publicUrl}/oauth/callback`] };
  idp = await startDevIdp({ port: idpPort, clients: [client] });
  stops.push(() => idp.close());
  const home = idp.tenants[0];
  Object.assign(vars, {
    IDP_KIND: "oidc",
    IDP_ISSUER: home.issuer,
    IDP_CLIENT_ID: client.client_id,
    IDP_CLIENT_SECRET: client.client_secret,
    ALLOWED_TENANT_IDS: home.id,
    COOKIE_SECRET: randomSecret(),
    OPERATOR_SECRET: operatorSecret,
  });
}

const worker = await startWorker({ port, vars });
stops.push(() => worker.stop());

const lines = ["", `pandgate is running at ${localUrl}`];
if (publicUrl !== localUrl) lines.push(`  public URL (PUBLIC_URL): ${publicUrl}`);
lines.push(`  MCP endpoint: ${publicUrl}/mcp`);
if (!hostedReachable) {
  lines.push(
    "",
    "Claude (claude.ai, Desktop connectors) and ChatGPT connect from their own clouds and cannot reach this",
    "machine. For them, give pandgate a public https URL: deploy it (npm run setup), or run a tunnel, e.g.",
    `  cloudflared tunnel --url ${localUrl}`,
    "and restart with the https URL it prints as PUBLIC_URL (the OAuth metadata and redirects must name it):",
    "  PUBLIC_URL=https://<name>.trycloudflare.com npm run dev",
  );
}
if (idp) {
  const home = idp.tenants[0];
  lines.push(
    "",
    `Sign-in goes to the local dev IdP (${idp.origin}), tenant "${home.name}" (${home.id}).`,
    "Demo users (password: demo):",
    ...idp.users.map(
      (u) => `  ${u.username.padEnd(24)} ${u.name.padEnd(16)} tenant ${u.tenantId.slice(0, 8)}…  roles: ${u.roles.join(", ") || "none"}`,
    ),
    `pandgate lets in only ${home.name} (ALLOWED_TENANT_IDS): sign in as chris@fabrikam.example (Fabrikam) to see it refuse another organisation.`,
    "To see access end when the organisation ends it, disable a user at the IdP, e.g.",
    `  curl -X POST ${idp.origin}/admin/users/bram@contoso.example/disable   (…/enable undoes it)`,
    "  Bram's next refresh is refused and the app's grant is revoked.",
    "",
    "Connect a client, e.g.:",
    `  npx -y -p node@22 -p @modelcontextprotocol/inspector@2.12.0 mcp-inspector   (URL ${publicUrl}/mcp, transport: streamable HTTP)`,
    `  npx -y mcp-remote@0.15.1 ${publicUrl}/mcp`,
    "",
    `Operator commands use OPERATOR_SECRET=${operatorSecret}, e.g.`,
    `  OPERATOR_SECRET=${operatorSecret} npm run clients -- list`,
    `  OPERATOR_SECRET=${operatorSecret} npm run audit -- --since 1h   (the audit trail)`,
  );
}
lines.push("", "Press Ctrl+C to stop.");
console.log(lines.join("\n"));
