import { z } from "zod";
import { SCOPE_READ } from "../../auth/scopes";
import { SERVER_NAME, SERVER_VERSION } from "../../version";
import type { ToolSpec } from "../catalog";

const input = z.object({});

const RegisterOut = z.object({
  register: z.string(),
  name: z.string(),
  host: z.string().describe("Host of the base URL asked: the public endpoint's, or the operator's proxy or mirror."),
  version: z.string(),
  table: z.string().optional().describe("The CBS table asked."),
});

const output = z.object({
  server: z.object({ name: z.string(), version: z.string() }),
  data: z.object({
    source: z.enum(["synthetic", "live"]),
    registers: z.array(RegisterOut).describe("With live data: each public register asked. Empty for the synthetic dataset."),
  }),
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
    "Server, data source, signed-in user, roles, scopes, protocol revision. Use to check a connection or why a tool is unavailable.",
  input,
  output,
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  stateless: true,
  requiredScopes: [SCOPE_READ],
  async run(_args, { caller, protocolVersion, services }) {
    const { identity } = caller;
    const { provenance } = services;
    return {
      server: { name: SERVER_NAME, version: SERVER_VERSION },
      data: { source: provenance.source, registers: provenance.source === "live" ? provenance.registers.map((r) => ({ ...r })) : [] },
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
    const who = result.user.displayName ?? "a user without a display name";
    const roles = result.user.roles.length > 0 ? result.user.roles.join(", ") : "none";
    return [
      `${result.server.name} ${result.server.version}`,
      result.data.source === "live"
        ? `Property data: live public registers: ${result.data.registers.map((r) => `${r.name} [${r.register}] (${r.version}${r.table ? `, table ${r.table}` : ""}) at ${r.host}`).join("; ")}`
        : "Property data: synthetic demo dataset (not real register data)",
      `Signed in as ${who} (user key ${result.user.userKey}, tenant ${result.user.tenantId}, via ${result.user.identityProvider}); app roles: ${roles}`,
      `Client: ${result.clientId}`,
      `Granted scopes: ${result.scopes.join(" ") || "none"}`,
      `MCP protocol: ${result.protocolVersion}`,
    ].join("\n");
  },
};
