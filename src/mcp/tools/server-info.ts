import { z } from "zod";
import { SCOPE_READ } from "../../auth/scopes";
import { SERVER_NAME, SERVER_VERSION } from "../../version";
import type { ToolSpec } from "../catalog";

const input = z.object({});

const output = z.object({
  server: z.object({ name: z.string(), version: z.string() }),
  user: z.object({
    userKey: z.string(),
    tenantId: z.string(),
    displayName: z.string().optional(),
    roles: z.array(z.string()),
    identityProvider: z.string(),
  }),
  clientId: z.string(),
  scopes: z.array(z.string()),
  protocolVersion: z.string(),
});

export const getServerInfo: ToolSpec<typeof input, typeof output> = {
  name: "Get_Server_Info",
  title: "Server and sign-in information",
  description:
    "Tells which pandgate server this is (name, version), who is signed in (user id, tenant, app roles), which scopes this connection was granted and which MCP protocol revision is in use. Use it to check a connection or to see why a tool is unavailable.",
  input,
  output,
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiredScopes: [SCOPE_READ],
  async run(_args, { caller, protocolVersion }) {
    const { identity } = caller;
    return {
      server: { name: SERVER_NAME, version: SERVER_VERSION },
      user: {
        userKey: identity.userKey,
        tenantId: identity.tenantId,
        ...(identity.displayName !== undefined && { displayName: identity.displayName }),
        roles: identity.roles,
        identityProvider: identity.idp,
      },
      clientId: caller.clientId,
      scopes: caller.scopes,
      protocolVersion,
    };
  },
  render(result) {
    const who = result.user.displayName ?? result.user.userKey;
    const roles = result.user.roles.length > 0 ? result.user.roles.join(", ") : "none";
    return [
      `${result.server.name} ${result.server.version}`,
      `Signed in as ${who} (tenant ${result.user.tenantId}, via ${result.user.identityProvider}); app roles: ${roles}`,
      `Granted scopes: ${result.scopes.join(" ") || "none"}`,
      `MCP protocol: ${result.protocolVersion}`,
    ].join("\n");
  },
};
