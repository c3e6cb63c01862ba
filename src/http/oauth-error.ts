/**
 * An OAuth error answer (RFC 6749 §5.2 shape) given by pandgate itself in front of the library's
 * endpoints (`/oauth/token`, `/oauth/register`): never cached, and readable by a browser client
 * the way the library's own answers are (the request's Origin reflected, `WWW-Authenticate` and
 * `Retry-After` exposed), since bearer tokens are no ambient credential.
 */
export function oauthError(request: Request, status: number, error: string, description: string, extra?: HeadersInit): Response {
  const headers = new Headers(extra);
  headers.set("cache-control", "no-store");
  const origin = request.headers.get("origin");
  if (origin) {
    headers.set("access-control-allow-origin", origin);
    headers.set("access-control-expose-headers", "WWW-Authenticate, Retry-After");
    headers.set("vary", "Origin");
  }
  return Response.json({ error, error_description: description }, { status, headers });
}
