import { HttpResponse, http } from "msw";
import { beforeEach, describe, expect, it } from "vitest";
import { EntraMock, entraUser, TENANT_A } from "./helpers/entra";
import { connectClient } from "./helpers/mcp";
import { mockServer } from "./helpers/msw";
import { openAuthorize, redeem, submitConsent } from "./helpers/signin";

/** A client identified by a Client ID Metadata Document (how ChatGPT and newer clients register). */
const CLIENT_ID = "https://chatgpt.example.com/oauth/client-metadata.json";
const REDIRECT = "https://chatgpt.example.com/connector/oauth/callback";
let fetched = 0;
let entra: EntraMock;

beforeEach(() => {
  entra = new EntraMock().install();
  fetched = 0;
  mockServer.use(
    http.get(CLIENT_ID, () => {
      fetched += 1;
      return HttpResponse.json(
        {
          client_id: CLIENT_ID,
          client_name: "ChatGPT",
          redirect_uris: [REDIRECT],
          token_endpoint_auth_method: "none",
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
        },
        { headers: { "cache-control": "max-age=300" } },
      );
    }),
  );
});

describe("Client ID Metadata Documents", () => {
  it("shows the document's verified domain on the consent page and completes sign-in", async () => {
    const client = { client_id: CLIENT_ID, redirect_uris: [REDIRECT] };
    const { res, auth } = await openAuthorize(client);
    expect(res.status).toBe(200);
    expect(fetched).toBeGreaterThan(0);
    const html = await res.text();
    expect(html).toContain("Published by <strong>chatgpt.example.com</strong>");
    expect(html).toContain("ChatGPT");

    const approved = await submitConsent(auth.browser, html);
    const callback = await auth.browser.fetch(await entra.login(approved.headers.get("location") ?? "", entraUser(TENANT_A)));
    const tokens = await redeem(auth, callback.headers.get("location") ?? "");
    expect(tokens.status).toBe(200);
    const mcp = await connectClient(tokens.body.access_token ?? "");
    const info = (await mcp.callTool({ name: "Get_Server_Info", arguments: {} })).structuredContent as { clientId: string };
    expect(info.clientId).toBe(CLIENT_ID);
    await mcp.close();
  });

  it("refuses a redirect URI the document does not list, on a local page", async () => {
    const { res } = await openAuthorize(
      { client_id: CLIENT_ID, redirect_uris: [REDIRECT] },
      { redirectUri: "https://evil.example.net/cb" },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });
});
