import { describe, expect, it } from "vitest";
import { base64url, isLoopbackHostname, sha256Base64Url } from "../src/encoding";

describe("encoding", () => {
  it("computes SHA-256 in base64url (the PKCE S256 challenge) as the standard test vector says", async () => {
    // FIPS 180-2's SHA-256("abc") = ba7816bf…f20015ad, written in base64url without padding.
    expect(await sha256Base64Url("abc")).toBe("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  });

  it("writes base64url without padding", () => {
    expect(base64url(new Uint8Array([251, 255, 191]))).toBe("-_-_");
    expect(base64url(new Uint8Array([1]))).toBe("AQ");
  });

  it("knows the loopback host names", () => {
    for (const host of ["localhost", "127.0.0.1", "127.4.5.6", "[::1]"]) expect(isLoopbackHostname(host), host).toBe(true);
    for (const host of ["localhost.example", "128.0.0.1", "example.com", "::1"]) expect(isLoopbackHostname(host), host).toBe(false);
  });
});
