import { cleanText, reasonSlug, redirectHosts } from "../audit/events";
import { clientAddress, recordAudit } from "../audit/record";
import { oauthErrorCode } from "../auth/refresh-reuse";

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
