import { base64url as joseBase64url } from "jose";

/** Base64url without padding (RFC 4648 §5), as PKCE, JOSE and our ids use it (jose's encoder). */
export function base64url(bytes: Uint8Array): string {
  return joseBase64url.encode(bytes);
}

/** SHA-256 of a text, base64url-encoded (also the PKCE S256 challenge of a verifier). */
export async function sha256Base64Url(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

/** Whether a URL host name is a loopback address (localhost, 127.0.0.0/8, [::1]). */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || hostname.startsWith("127.");
}
