import { z } from "zod";
import type { UpstreamConfig } from "../config/sign-in";
import { isUuid } from "../domain/ids";
import type { Identity } from "./identity";

/**
 * Whether a signed-in identity may use this server. An explicit tenant allow-list is enforced as
 * given; an empty one leaves the decision to the issuer rule, which for every single-tenant
 * configuration already admits only the configured tenant (multi-tenant Entra requires a list).
 */
export function tenantAllowed(upstream: Pick<UpstreamConfig, "allowedTenants">, identity: Identity): boolean {
  const { allowedTenants } = upstream;
  if (allowedTenants === "any" || allowedTenants.length === 0) return true;
  return allowedTenants.includes(identity.tenantId.toLowerCase());
}

/**
 * A pre-registered client bound to Entra tenants (e.g. one organisation's Blockbrain): only users
 * of those tenants may sign in through it. The library's client record has no field for custom
 * metadata, so the binding is our own OAUTH_KV entry beside it, written when the operator creates
 * the client and deleted with it. Clients without an entry (dynamic registration, metadata
 * documents, pre-registered without tenants) are not bound.
 */
export const CLIENT_TENANTS_PREFIX = "pandgate:client-tenants:";

/** Most tenants one client can be bound to. */
export const MAX_CLIENT_TENANTS = 20;

const StoredBinding = z.object({ tenants: z.array(z.string().refine(isUuid)).min(1).max(MAX_CLIENT_TENANTS) });

/** Tenant ids as stored and compared: lowercase, each once. */
export function normaliseTenants(tenants: readonly string[]): string[] {
  return [...new Set(tenants.map((tenant) => tenant.trim().toLowerCase()))];
}

/**
 * The tenants a client is bound to, or `null` when it is not bound. A binding that cannot be read
 * throws: the sign-in then fails closed instead of treating the client as unbound.
 */
export async function clientTenants(kv: KVNamespace, clientId: string): Promise<string[] | null> {
  const stored = await kv.get(`${CLIENT_TENANTS_PREFIX}${clientId}`, "text");
  if (stored === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    parsed = undefined;
  }
  const binding = StoredBinding.safeParse(parsed);
  if (!binding.success) throw new Error(`The tenant binding of client ${clientId} is unreadable`);
  return normaliseTenants(binding.data.tenants);
}

/** Binds a client to tenant ids (GUIDs, checked by the caller). */
export async function bindClientTenants(kv: KVNamespace, clientId: string, tenants: readonly string[]): Promise<void> {
  await kv.put(`${CLIENT_TENANTS_PREFIX}${clientId}`, JSON.stringify({ tenants: normaliseTenants(tenants) }));
}

/** Removes a client's binding (with the client). */
export async function unbindClientTenants(kv: KVNamespace, clientId: string): Promise<void> {
  await kv.delete(`${CLIENT_TENANTS_PREFIX}${clientId}`);
}

/** Whether an identity may sign in through a client with this binding (`null`: not bound, anyone the server allows). */
export function clientTenantAllowed(bound: readonly string[] | null, identity: Identity): boolean {
  if (bound === null) return true;
  return bound.includes(identity.tenantId.toLowerCase());
}
