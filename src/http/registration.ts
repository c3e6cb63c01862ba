import { cleanText, reasonSlug, redirectHosts } from "../audit/events";
import { clientAddress, recordAudit } from "../audit/record";
import { oauthErrorCode } from "../auth/refresh-reuse";
import { readJsonBody } from "../request-body";
import { oauthError } from "./oauth-error";

/**
 * Dynamic client registration (`/oauth/register`, RFC 7591) is the library's; this records its
 * outcome: `client.registered` with the new client's id, name and redirect hosts, or
 * `client.registration_rejected` with the OAuth error code. Never the client's secret.
 */
export async function auditRegistration(request: Request, env: Env, next: (request: Request) => Promise<Response>): Promise<Response> {
  const response = await next(request);
  if (request.method !== "POST") return response;
  const ip = clientAddress(request);
  if (response.status === 201) {
    const client = (await response
      .clone()
      .json()
      .catch(() => null)) as { client_id?: unknown; client_name?: unknown; redirect_uris?: unknown } | null;
    const clientId = typeof client?.client_id === "string" ? client.client_id : undefined;
    const clientName = typeof client?.client_name === "string" ? cleanText(client.client_name, 120) : undefined;
    recordAudit(env, {
      kind: "client.registered",
      outcome: "success",
      actor: "client",
      ...(clientId && { clientId }),
      details: {
        ...(clientName && { clientName }),
        redirectHosts: redirectHosts(Array.isArray(client?.redirect_uris) ? client.redirect_uris : []),
        ...(ip && { ip }),
      },
    });
  } else if (response.status >= 400 && response.status !== 429) {
    recordAudit(env, {
      kind: "client.registration_rejected",
      outcome: response.status >= 500 ? "failure" : "error",
      reason: reasonSlug(await oauthErrorCode(response)) ?? `http_${response.status}`,
      actor: "client",
      details: { ...(ip && { ip }) },
    });
  }
  return response;
}

/** The library's own limit on a registration body (client metadata is small). */
export const REGISTRATION_MAX_BYTES = 1024 * 1024;

/**
 * A registration whose JSON the library should not parse: over its size limit, or nested deeper
 * than ../request-body.ts allows (the library would parse it and walk it). The answer is in the
 * library's own error format, and is recorded by `auditRegistration` like the library's refusals.
 * Otherwise `undefined`: the library reads the body itself (this read a copy).
 */
export async function boundRegistration(request: Request): Promise<Response | undefined> {
  if (request.method !== "POST") return undefined;
  const read = await readJsonBody(request.clone(), REGISTRATION_MAX_BYTES);
  if (read.ok || read.problem === "malformed") return undefined;
  return oauthError(request, read.problem === "too_large" ? 413 : 400, "invalid_request", `Invalid client registration: ${read.message}`);
}
