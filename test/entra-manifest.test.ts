import { describe, expect, it } from "vitest";
import {
  ADMIN_ROLE_ID,
  type AzPlan,
  azCommands,
  buildManifest,
  checkPublicUrl,
  type EntraKind,
  GRAPH_APP_ID,
  renderScript,
  UsageError,
} from "../scripts/entra/manifest.mjs";

/*
 * The Microsoft Graph v1.0 `application` resource, as documented in
 * microsoftgraph/microsoft-graph-docs-contrib api-reference/v1.0/resources/application.md
 * (learn.microsoft.com/graph/api/resources/application), and its complex types approle.md,
 * webapplication.md, implicitgrantsettings.md, optionalclaims.md, optionalclaim.md,
 * requiredresourceaccess.md, resourceaccess.md, apiapplication.md. Read-only properties (id,
 * appId, createdDateTime, publisherDomain ...) are left out: a manifest to create from must not set them.
 */
const APPLICATION_WRITABLE = new Set([
  "addIns",
  "api",
  "applicationTemplateId",
  "appRoles",
  "displayName",
  "groupMembershipClaims",
  "identifierUris",
  "info",
  "isDeviceOnlyAuthSupported",
  "isFallbackPublicClient",
  "keyCredentials",
  "notes",
  "oauth2RequiredPostResponse",
  "optionalClaims",
  "parentalControlSettings",
  "passwordCredentials",
  "publicClient",
  "requiredResourceAccess",
  "signInAudience",
  "spa",
  "tags",
  "tokenEncryptionKeyId",
  "web",
]);
const SIGN_IN_AUDIENCES = ["AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"];
const APP_ROLE = ["allowedMemberTypes", "description", "displayName", "id", "isEnabled", "value"]; // plus read-only origin
const WEB_APPLICATION = new Set(["homePageUrl", "implicitGrantSettings", "logoutUrl", "redirectUris", "redirectUriSettings"]);
const IMPLICIT_GRANT = ["enableAccessTokenIssuance", "enableIdTokenIssuance"];
const OPTIONAL_CLAIMS = new Set(["accessToken", "idToken", "saml2Token"]);
const OPTIONAL_CLAIM = ["additionalProperties", "essential", "name", "source"];
const API_APPLICATION = new Set([
  "acceptMappedClaims",
  "knownClientApplications",
  "oauth2PermissionScopes",
  "preAuthorizedApplications",
  "requestedAccessTokenVersion",
]);

/*
 * Microsoft Graph's delegated OpenID Connect permissions (learn.microsoft.com/graph/permissions-reference,
 * "OpenID Connect (OIDC) scopes"); the ids are the same in every tenant.
 */
const GRAPH_SCOPES = {
  openid: "37f7f235-527c-4136-accd-4a02d197296e",
  profile: "14dad69e-099b-42c9-810b-d002981feec1",
  email: "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
  offline_access: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
};

/*
 * The documented flags of the az commands used, from Azure/azure-cli
 * src/azure-cli/azure/cli/command_modules/role/_params.py (`ad app`, `ad app credential reset`,
 * `ad sp create`, `ad app permission admin-consent`) and the `az rest` / `az login` references,
 * plus az's global --query and --output.
 */
const GLOBAL = ["--query", "--output", "-o"];
const AZ_FLAGS: Record<string, string[]> = {
  login: ["--tenant", "--allow-no-subscriptions", "--use-device-code"],
  "ad app create": [
    "--display-name",
    "--sign-in-audience",
    "--web-redirect-uris",
    "--web-home-page-url",
    "--enable-id-token-issuance",
    "--enable-access-token-issuance",
    "--app-roles",
    "--optional-claims",
    "--required-resource-accesses",
    "--identifier-uris",
    "--is-fallback-public-client",
    "--public-client-redirect-uris",
    "--key-display-name",
    "--key-type",
    "--key-usage",
    "--key-value",
    "--start-date",
    "--end-date",
  ],
  "ad sp create": ["--id"],
  "ad app permission admin-consent": ["--id"],
  "ad app credential reset": ["--id", "--display-name", "--years", "--end-date", "--append", "--cert", "--create-cert", "--keyvault"],
  rest: ["--method", "--uri", "--url", "-u", "--headers", "--body", "--uri-parameters", "--resource"],
};
/** Flags that take no value. */
const SWITCHES = new Set(["--allow-no-subscriptions", "--use-device-code", "--append", "--create-cert"]);
const JSON_FILE_FLAGS = new Set(["--app-roles", "--optional-claims", "--required-resource-accesses", "--body"]);

const KIND_LIST: EntraKind[] = ["entra-single", "entra-multi", "b2c", "external-id"];
const URL = "https://pandgate.example.workers.dev";
const CALLBACK = "https://pandgate.example.workers.dev/oauth/callback";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The az subcommand an argv names, and the arguments after it. */
function splitAz(argv: string[]): [string, string[]] {
  expect(argv[0]).toBe("az");
  for (const sub of Object.keys(AZ_FLAGS).sort((a, b) => b.length - a.length)) {
    const words = sub.split(" ");
    if (words.every((word, i) => argv[i + 1] === word)) return [sub, argv.slice(words.length + 1)];
  }
  throw new Error(`undocumented az command: ${argv.join(" ")}`);
}

describe("buildManifest: the Graph application object", () => {
  for (const kind of KIND_LIST) {
    it(`${kind}: only documented, writable application properties, in their documented shapes`, () => {
      const app = buildManifest(kind, URL) as unknown as Record<string, unknown>;
      for (const key of Object.keys(app)) expect(APPLICATION_WRITABLE, key).toContain(key);
      expect(SIGN_IN_AUDIENCES).toContain(app.signInAudience);
      expect(app.displayName).toBe("pandgate");

      const web = app.web as Record<string, unknown>;
      for (const key of Object.keys(web)) expect(WEB_APPLICATION, key).toContain(key);
      expect(web.redirectUris).toEqual([CALLBACK]);
      expect(Object.keys(web.implicitGrantSettings as object).sort()).toEqual(IMPLICIT_GRANT);
      expect(web.implicitGrantSettings).toEqual({ enableIdTokenIssuance: false, enableAccessTokenIssuance: false });

      const rra = app.requiredResourceAccess as { resourceAppId: string; resourceAccess: { id: string; type: string }[] }[];
      expect(rra).toHaveLength(1);
      expect(Object.keys(rra[0] ?? {}).sort()).toEqual(["resourceAccess", "resourceAppId"]);
      expect(rra[0]?.resourceAppId).toBe("00000003-0000-0000-c000-000000000000");
      for (const access of rra[0]?.resourceAccess ?? []) {
        expect(Object.keys(access).sort()).toEqual(["id", "type"]);
        expect(access.type).toBe("Scope");
      }

      if (app.optionalClaims !== undefined) {
        const claims = app.optionalClaims as Record<string, Record<string, unknown>[]>;
        for (const key of Object.keys(claims)) expect(OPTIONAL_CLAIMS, key).toContain(key);
        for (const claim of Object.values(claims).flat()) expect(Object.keys(claim).sort()).toEqual(OPTIONAL_CLAIM);
      }
      if (app.api !== undefined) for (const key of Object.keys(app.api as object)) expect(API_APPLICATION, key).toContain(key);
      if (app.appRoles !== undefined) {
        for (const role of app.appRoles as object[]) expect(Object.keys(role).sort()).toEqual(APP_ROLE);
      }
    });
  }

  it("sign-in audience per kind, as Microsoft documents it", () => {
    expect(buildManifest("entra-single", URL).signInAudience).toBe("AzureADMyOrg");
    expect(buildManifest("entra-multi", URL).signInAudience).toBe("AzureADMultipleOrgs");
    // "For authenticating users with Azure AD B2C user flows, use AzureADandPersonalMicrosoftAccount",
    // which Graph accepts only with v2 access tokens.
    expect(buildManifest("b2c", URL).signInAudience).toBe("AzureADandPersonalMicrosoftAccount");
    expect(buildManifest("b2c", URL).api).toEqual({ requestedAccessTokenVersion: 2 });
    // External tenants: "Accounts in this organizational directory only".
    expect(buildManifest("external-id", URL).signInAudience).toBe("AzureADMyOrg");
  });

  it("the Admin app role, with a fixed id, where the id_token can carry roles", () => {
    for (const kind of ["entra-single", "entra-multi", "external-id"] as const) {
      expect(buildManifest(kind, URL).appRoles).toEqual([
        {
          id: ADMIN_ROLE_ID,
          allowedMemberTypes: ["User"],
          value: "Admin",
          displayName: "Admin: audit log and tenant assessments (read-only)",
          description: expect.any(String),
          isEnabled: true,
        },
      ]);
    }
    // What Admin does: the two read-only tools its role gates (src/mcp/tools), nothing more.
    const description = buildManifest("entra-single", URL).appRoles?.[0]?.description ?? "";
    expect(description).toContain("Get_Audit_Log");
    expect(description).toContain("Get_Tenant_Assessments");
    expect(description).toContain("Read-only");
    expect(description).not.toMatch(/may (\w+ )*delet/i);
    expect(ADMIN_ROLE_ID).toMatch(GUID);
    expect(buildManifest("entra-multi", URL).appRoles?.[0]?.id).toBe(
      buildManifest("entra-single", "https://other.example").appRoles?.[0]?.id,
    );
    // B2C user flows issue no roles claim.
    expect(buildManifest("b2c", URL).appRoles).toBeUndefined();
  });

  it("Graph's delegated OpenID Connect scopes by their real ids", () => {
    expect(GRAPH_APP_ID).toBe("00000003-0000-0000-c000-000000000000");
    const ids = (kind: EntraKind) => buildManifest(kind, URL).requiredResourceAccess[0]?.resourceAccess.map((a) => a.id);
    const all = [GRAPH_SCOPES.openid, GRAPH_SCOPES.profile, GRAPH_SCOPES.email, GRAPH_SCOPES.offline_access];
    expect(ids("entra-single")).toEqual(all);
    expect(ids("entra-multi")).toEqual(all);
    expect(ids("external-id")).toEqual(all);
    expect(ids("b2c")).toEqual([GRAPH_SCOPES.openid, GRAPH_SCOPES.offline_access]);
  });

  it("only the optional claim pandgate reads (email), none for B2C", () => {
    expect(buildManifest("entra-single", URL).optionalClaims?.idToken.map((c) => c.name)).toEqual(["email"]);
    expect(buildManifest("external-id", URL).optionalClaims?.idToken.map((c) => c.name)).toEqual(["email"]);
    expect(buildManifest("b2c", URL).optionalClaims).toBeUndefined();
  });

  it("the redirect URI is exactly PUBLIC_URL + /oauth/callback", () => {
    expect(buildManifest("entra-single", "https://pandgate.example.workers.dev/").web.redirectUris).toEqual([CALLBACK]);
    expect(buildManifest("entra-single", "http://localhost:8787").web.redirectUris).toEqual(["http://localhost:8787/oauth/callback"]);
    expect(buildManifest("entra-single", "https://MCP.Example.com").web.redirectUris).toEqual(["https://mcp.example.com/oauth/callback"]);
  });

  it("refuses bad input with a UsageError that says what is wrong", () => {
    expect(() => buildManifest("entra", URL)).toThrow(UsageError);
    expect(() => buildManifest("entra", URL)).toThrow(/--kind must be one of entra-single, entra-multi, b2c, external-id/);
    expect(() => checkPublicUrl("")).toThrow(/missing/);
    expect(() => checkPublicUrl("pandgate.example.workers.dev")).toThrow(/not an absolute URL/);
    expect(() => checkPublicUrl("http://pandgate.example.workers.dev")).toThrow(/https/);
    expect(() => checkPublicUrl("https://pandgate.example.workers.dev/mcp")).toThrow(/origin only/);
    expect(() => checkPublicUrl("https://a:b@pandgate.example.workers.dev")).toThrow(/origin only/);
    expect(() => buildManifest("entra-single", URL, "")).toThrow(/--name/);
    expect(() => buildManifest("entra-single", URL, "a\nb")).toThrow(/--name/);
    expect(buildManifest("entra-single", URL, "pandgate (test)").displayName).toBe("pandgate (test)");
  });
});

describe("azCommands: the Azure CLI route", () => {
  const plans = KIND_LIST.map((kind) => [kind, azCommands(kind, URL)] as [EntraKind, AzPlan]);

  it.each(plans)("%s: every command and flag is documented, every @file exists and is JSON", (_kind, plan) => {
    for (const { argv } of plan.commands) {
      const [sub, args] = splitAz(argv);
      for (let i = 0; i < args.length; i++) {
        const flag = args[i] ?? "";
        expect(flag, `${sub}: ${args.join(" ")}`).toMatch(/^--?[a-z]/);
        expect([...(AZ_FLAGS[sub] ?? []), ...GLOBAL], `az ${sub} ${flag}`).toContain(flag);
        if (SWITCHES.has(flag)) continue;
        const value = args[++i];
        expect(value, `${flag} needs a value`).toBeDefined();
        if (JSON_FILE_FLAGS.has(flag)) {
          if (value?.startsWith("@")) expect(Object.keys(plan.files)).toContain(value.slice(1));
          else expect(() => JSON.parse((value ?? "").replaceAll("$SP_ID", GUID_EXAMPLE))).not.toThrow();
        }
      }
    }
    for (const value of Object.values(plan.files)) expect(JSON.parse(JSON.stringify(value))).toEqual(value);
  });

  it.each(plans)("%s: az ad app create says what the manifest says", (kind, plan) => {
    const create = plan.commands.find((c) => c.argv.slice(0, 4).join(" ") === "az ad app create");
    expect(create?.assign).toBe("APP_ID");
    const argv = create?.argv ?? [];
    const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
    expect(value("--display-name")).toBe("pandgate");
    expect(value("--web-redirect-uris")).toBe(CALLBACK);
    expect(value("--enable-id-token-issuance")).toBe("false");
    expect(value("--enable-access-token-issuance")).toBe("false");
    expect(plan.files["rra.json"]).toEqual(plan.application.requiredResourceAccess);
    expect(plan.files["roles.json"]).toEqual(plan.application.appRoles);
    expect(plan.files["claims.json"]).toEqual(plan.application.optionalClaims);
    if (kind === "b2c") {
      // Created single-tenant, then switched together with the v2 token version Graph requires.
      expect(value("--sign-in-audience")).toBeUndefined();
      expect(plan.files["b2c.json"]).toEqual({
        api: { requestedAccessTokenVersion: 2 },
        signInAudience: "AzureADandPersonalMicrosoftAccount",
      });
    } else {
      expect(value("--sign-in-audience")).toBe(plan.application.signInAudience);
    }
    const reset = plan.commands.find((c) => c.argv.slice(0, 5).join(" ") === "az ad app credential reset");
    expect(reset?.argv).toEqual(expect.arrayContaining(["--id", "$APP_ID", "--display-name", "pandgate", "--years", "1"]));
  });

  it.each(plans)("%s: the settings name pandgate's IDP_KIND and the client id", (kind, plan) => {
    const settings = Object.fromEntries(plan.settings.map(([name, value]) => [name, value]));
    expect(settings.IDP_KIND).toBe({ "entra-single": "entra", "entra-multi": "entra", b2c: "b2c", "external-id": "external-id" }[kind]);
    expect(settings.IDP_CLIENT_ID).toBeDefined();
    expect(settings.IDP_TENANT).toBeDefined();
    if (kind === "entra-multi") expect(settings).toMatchObject({ IDP_TENANT: "organizations", ALLOWED_TENANT_IDS: expect.any(String) });
    if (kind === "b2c") expect(settings.IDP_POLICY).toBeDefined();
    if (kind === "external-id") expect(settings.IDP_DOMAIN).toMatch(/ciamlogin\.com/);
  });

  it.each(plans)("%s: the bash script writes JSON files that parse and quotes what must expand", (_kind, plan) => {
    const script = renderScript(plan);
    const heredocs = [...script.matchAll(/^cat > (\S+) <<'JSON'\n([\s\S]*?)\nJSON$/gm)];
    expect(heredocs.map((m) => m[1]).sort()).toEqual(Object.keys(plan.files).sort());
    for (const [, file, body] of heredocs) expect(JSON.parse(body ?? "")).toEqual(plan.files[file ?? ""]);
    expect(script).toContain(`APP_ID=$(az ad app create --display-name pandgate`);
    expect(script).toContain(`--web-redirect-uris ${CALLBACK}`);
    expect(script).toContain('az ad app credential reset --id "$APP_ID" --display-name pandgate --years 1');
    // $APP_ID / $SP_ID never inside single quotes, where bash would not expand them.
    expect(script).not.toMatch(/'[^'\n]*\$(APP_ID|SP_ID)[^'\n]*'(?!\))/);
  });

  it("a display name with spaces and quotes is quoted for the shell", () => {
    const script = renderScript(azCommands("entra-single", URL, "pandgate's test"));
    expect(script).toContain(`--display-name 'pandgate'\\''s test'`);
  });
});

const GUID_EXAMPLE = "00000000-0000-0000-0000-000000000001";
