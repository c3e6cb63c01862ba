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

const publicUrl = `http://localhost:${port}`;
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

const lines = ["", `pandgate is running at ${publicUrl}`, `  MCP endpoint: ${publicUrl}/mcp`];
if (idp) {
  const home = idp.tenants[0];
  lines.push(
    "",
    `Sign-in goes to the local dev IdP (${idp.origin}), tenant "${home.name}" (${home.id}).`,
    "Demo users (password: demo):",
    ...idp.users.map(
      (u) => `  ${u.username.padEnd(24)} ${u.name.padEnd(16)} tenant ${u.tenantId.slice(0, 8)}…  roles: ${u.roles.join(", ") || "none"}`,
    ),
    `Only ${home.name}'s users can sign in here (chris@fabrikam.example belongs to another tenant).`,
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
