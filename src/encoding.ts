import { base64url as joseBase64url } from "jose";

/** Base64url without padding (RFC 4648 §5), as PKCE, JOSE and our ids use it (jose's encoder). */
export function base64url(bytes: Uint8Array): string {
  return joseBase64url.encode(bytes);
}

/** The bytes of a base64url text (padding optional); throws when it is not base64url. */
export function base64urlDecode(text: string): Uint8Array {
  return joseBase64url.decode(text);
}

/** SHA-256 of a text, base64url-encoded (also the PKCE S256 challenge of a verifier). */
export async function sha256Base64Url(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

/** Whether a URL host name is a loopback address (localhost, 127.0.0.0/8, [::1]). */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || hostname.startsWith("127.");
}

/**
 * The user part of an HTTP Basic `Authorization` header (the OAuth client id, RFC 6749 §2.3.1:
 * form-urlencoded, then base64), or undefined when the header is not Basic or does not decode.
 */
export function basicAuthUser(authorization: string | null): string | undefined {
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? "");
  if (!match?.[1]) return undefined;
  try {
    const decoded = atob(match[1]);
    const colon = decoded.indexOf(":");
    return decodeURIComponent(colon === -1 ? decoded : decoded.slice(0, colon)) || undefined;
  } catch {
    return undefined;
  }
}
