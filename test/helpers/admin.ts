import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { BASE } from "./oauth";
import type { RegisteredClient } from "./signin";

/** A request to the operator API with the operator secret (or another one). */
export function admin(path: string, init: RequestInit = {}, secret = env.OPERATOR_SECRET): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${secret}`);
  return exports.default.fetch(`${BASE}${path}`, { ...init, headers });
}

/** `POST /admin/clients` with a JSON body; the raw answer. */
export function postClient(body: Record<string, unknown>): Promise<Response> {
  return admin("/admin/clients", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** Creates a pre-registered confidential client through the operator API (expects 201). */
export async function createClient(
  body: Record<string, unknown>,
): Promise<RegisteredClient & { clientSecret: string; tenants: string[]; name: string }> {
  const res = await postClient(body);
  expect(res.status).toBe(201);
  const created = (await res.json()) as { clientId: string; clientSecret: string; redirectUris: string[]; name: string; tenants: string[] };
  return {
    client_id: created.clientId,
    client_secret: created.clientSecret,
    clientSecret: created.clientSecret,
    redirect_uris: created.redirectUris,
    name: created.name,
    tenants: created.tenants,
  };
}

/** The operator API's view of one client, from `GET /admin/clients`. */
export async function listedClient(clientId: string): Promise<Record<string, unknown> | undefined> {
  const listed = (await (await admin("/admin/clients")).json()) as { clients: Array<Record<string, unknown>> };
  return listed.clients.find((c) => c.clientId === clientId);
}
