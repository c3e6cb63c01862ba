// The pure part of `npm run entra -- manifest`: pandgate's Microsoft app registration as the
// Microsoft Graph `application` JSON, the Azure CLI commands that create it, and the settings to
// give pandgate afterwards. No I/O here, so the tests import it directly.
//
// Sources (checked when this was written):
// - Graph `application` resource, its `signInAudience` values, `webApplication`,
//   `implicitGrantSettings`, `appRole`, `optionalClaims`/`optionalClaim`, `requiredResourceAccess`,
//   `apiApplication`: microsoftgraph/microsoft-graph-docs-contrib api-reference/v1.0/resources/*.md
//   (learn.microsoft.com/graph/api/resources/application). B2C user flows need
//   `AzureADandPersonalMicrosoftAccount` (same page), and that audience requires
//   `api.requestedAccessTokenVersion = 2` (microsoftgraph/microsoft-graph-docs-contrib#1122;
//   Graph answers InvalidAccessTokenVersion otherwise, azure-ad-b2c/Scripts#2).
// - B2C web app: Web redirect URI, "Grant admin consent to openid and offline_access"
//   (MicrosoftDocs/azure-docs articles/active-directory-b2c/tutorial-register-applications.md).
// - External ID: "Accounts in this organizational directory only", Graph openid + offline_access
//   with admin consent, app roles via the manifest (MicrosoftDocs/entra-docs
//   docs/external-id/customers/includes/register-app/register-client-app-common.md,
//   grant-api-permission-sign-in.md, reference-group-app-roles-support.md).
// - Graph's delegated OpenID Connect permission ids: Microsoft Graph permissions reference
//   (learn.microsoft.com/graph/permissions-reference), the same ids in many public app manifests.
// - az flags: Azure/azure-cli src/azure-cli/azure/cli/command_modules/role/_params.py
//   (`ad app create`, `ad app credential reset`) and the `az rest`, `az login` references.

/** The kinds this command knows, and the pandgate IDP_KIND each one becomes. */
export const KINDS = {
  "entra-single": { idpKind: "entra", label: "Entra ID, one tenant", signInAudience: "AzureADMyOrg" },
  "entra-multi": { idpKind: "entra", label: "Entra ID, several tenants", signInAudience: "AzureADMultipleOrgs" },
  b2c: { idpKind: "b2c", label: "Azure AD B2C (user flows)", signInAudience: "AzureADandPersonalMicrosoftAccount" },
  "external-id": { idpKind: "external-id", label: "Entra External ID (external tenant)", signInAudience: "AzureADMyOrg" },
};

/** Microsoft Graph's well-known application id (the resource behind openid, profile, email, offline_access). */
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** Graph's delegated OpenID Connect permissions (oauth2PermissionScopes ids), the same in every tenant. */
export const GRAPH_SCOPE_IDS = {
  openid: "37f7f235-527c-4136-accd-4a02d197296e",
  profile: "14dad69e-099b-42c9-810b-d002981feec1",
  email: "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
  offline_access: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
};

/**
 * The id of pandgate's `Admin` app role. Fixed, so that every registration made from this manifest
 * (and a re-run against an existing one) names the role the same way; role assignments refer to it.
 */
export const ADMIN_ROLE_ID = "67c8e11e-ef45-4052-9540-2359c3b5d2bb";

export const DEFAULT_NAME = "pandgate";
const B2C_POLICY_EXAMPLE = "B2C_1_signupsignin";

export class UsageError extends Error {
  name = "UsageError";
}

/** True for a kind this command knows. */
export function isKind(kind) {
  return typeof kind === "string" && Object.hasOwn(KINDS, kind);
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * PUBLIC_URL as pandgate accepts it: an https origin (plain http only on localhost), with no path,
 * query, fragment or credentials. Returns the origin; throws a UsageError that says what is wrong.
 */
export function checkPublicUrl(value) {
  const example = "e.g. --url https://pandgate.<account>.workers.dev";
  if (typeof value !== "string" || value.trim() === "") throw new UsageError(`PUBLIC_URL is missing: ${example}`);
  let url;
  try {
    url = new URL(value.trim());
  } catch {
    throw new UsageError(`PUBLIC_URL "${value}" is not an absolute URL: ${example}`);
  }
  const loopback = LOOPBACK.has(url.hostname);
  if (!(url.protocol === "https:" || (url.protocol === "http:" && loopback))) {
    throw new UsageError(`PUBLIC_URL "${value}" must use https (plain http only for localhost): ${example}`);
  }
  if (url.username || url.password || url.pathname !== "/" || url.search || url.hash) {
    throw new UsageError(`PUBLIC_URL "${value}" must be an origin only, with no path, query or credentials: ${example}`);
  }
  return url.origin;
}

/** The app's display name: 1–120 printable characters. */
export function checkName(value) {
  const name = typeof value === "string" ? value.trim() : "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects.
  if (name === "" || name.length > 120 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new UsageError("--name must be 1 to 120 printable characters, e.g. --name pandgate");
  }
  return name;
}

/** The one redirect URI pandgate uses: PUBLIC_URL + /oauth/callback. */
export function redirectUri(publicUrl) {
  return `${checkPublicUrl(publicUrl)}/oauth/callback`;
}

/**
 * The `Admin` app role: what it unlocks in pandgate is exactly the tools whose `requiredRoles`
 * name it (src/mcp/tools: Get_Audit_Log and Get_Tenant_Assessments), both read-only and limited
 * to the user's own tenant. It changes or deletes nothing: every user deletes only their own
 * assessments, Admin or not.
 */
export function adminRole() {
  return {
    id: ADMIN_ROLE_ID,
    allowedMemberTypes: ["User"],
    value: "Admin",
    displayName: "Admin: audit log and tenant assessments (read-only)",
    description:
      "pandgate administrators: may read their own organisation's audit log (Get_Audit_Log) and every assessment its users saved (Get_Tenant_Assessments). Read-only: Admin cannot change or delete anyone's assessments.",
    isEnabled: true,
  };
}

/** Graph's delegated OpenID Connect scopes the kind needs, by name. */
export function scopeNames(kind) {
  // B2C and External ID document openid + offline_access for sign-in. External ID gets profile and
  // email too, as pandgate asks for them by default and its users cannot consent themselves.
  return kind === "b2c" ? ["openid", "offline_access"] : ["openid", "profile", "email", "offline_access"];
}

export function requiredResourceAccess(kind) {
  return [
    {
      resourceAppId: GRAPH_APP_ID,
      resourceAccess: scopeNames(kind).map((scope) => ({ id: GRAPH_SCOPE_IDS[scope], type: "Scope" })),
    },
  ];
}

/**
 * Optional claims for the id_token. pandgate reads only `email` of the optional ones (its user key
 * is tid + oid, or iss + sub; name and roles come without asking). B2C takes its claims from the
 * user flow's "Application claims" instead, so it has none.
 */
export function optionalClaims(kind) {
  if (kind === "b2c") return undefined;
  return {
    idToken: [{ name: "email", source: null, essential: false, additionalProperties: [] }],
    accessToken: [],
    saml2Token: [],
  };
}

/**
 * The app registration as the Microsoft Graph `application` object (POST /applications body, and
 * what the admin center's Manifest page shows in Graph format).
 */
export function buildManifest(kind, url, name = DEFAULT_NAME) {
  if (!isKind(kind)) throw new UsageError(`--kind must be one of ${Object.keys(KINDS).join(", ")}`);
  const displayName = checkName(name);
  const application = {
    displayName,
    signInAudience: KINDS[kind].signInAudience,
    web: {
      redirectUris: [redirectUri(url)],
      implicitGrantSettings: { enableIdTokenIssuance: false, enableAccessTokenIssuance: false },
    },
    requiredResourceAccess: requiredResourceAccess(kind),
  };
  // B2C user flows put no `roles` claim in the id_token, so an Admin role there would never reach pandgate.
  if (kind !== "b2c") application.appRoles = [adminRole()];
  const claims = optionalClaims(kind);
  if (claims) application.optionalClaims = claims;
  if (kind === "b2c") application.api = { requestedAccessTokenVersion: 2 };
  return application;
}

/**
 * Shell-quotes one argument for bash: bare when safe; in double quotes when it uses $APP_ID or
 * $SP_ID (which must expand); in single quotes otherwise.
 */
export function shellQuote(arg) {
  if (/^[A-Za-z0-9@%+=:,./_-]+$/.test(arg)) return arg;
  if (/\$(APP_ID|SP_ID)\b/.test(arg) && !/\$(?!(APP_ID|SP_ID)\b)/.test(arg)) return `"${arg.replace(/["\\`]/g, "\\$&")}"`;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** One command as a shell line, optionally captured into a variable. */
function line(command) {
  const text = command.argv.map(shellQuote).join(" ");
  return command.assign ? `${command.assign}=$(${text})` : text;
}

/**
 * The Azure CLI route to the same registration: the JSON files `az ad app create` reads
 * (@roles.json, @claims.json, @rra.json), the commands in order, and the settings for pandgate.
 * Commands are argv arrays (for tests) with a comment each; `renderScript` turns them into bash.
 */
export function azCommands(kind, url, name = DEFAULT_NAME) {
  const application = buildManifest(kind, url, name);
  const { idpKind } = KINDS[kind];
  const files = { "rra.json": application.requiredResourceAccess };
  if (application.appRoles) files["roles.json"] = application.appRoles;
  if (application.optionalClaims) files["claims.json"] = application.optionalClaims;

  const tenantHint = {
    "entra-single": "<your tenant id or domain>",
    "entra-multi": "<your tenant id or domain>",
    b2c: "<tenant>.onmicrosoft.com",
    "external-id": "<external tenant id>",
  }[kind];
  const commands = [];
  const add = (comment, argv, assign) => commands.push({ comment, argv, ...(assign && { assign }) });

  add(
    kind === "b2c" || kind === "external-id"
      ? "Sign in to the tenant the app belongs in (it has no Azure subscriptions)."
      : "Sign in to the tenant the app belongs in.",
    ["az", "login", "--tenant", tenantHint, "--allow-no-subscriptions"],
  );
  const create = ["az", "ad", "app", "create", "--display-name", application.displayName];
  // `az ad app create` cannot set api.requestedAccessTokenVersion, which Graph requires before it
  // accepts the B2C audience; so B2C is created single-tenant and switched right after.
  if (kind !== "b2c") create.push("--sign-in-audience", application.signInAudience);
  create.push(
    "--web-redirect-uris",
    application.web.redirectUris[0],
    "--enable-id-token-issuance",
    "false",
    "--enable-access-token-issuance",
    "false",
  );
  if (files["roles.json"]) create.push("--app-roles", "@roles.json");
  if (files["claims.json"]) create.push("--optional-claims", "@claims.json");
  create.push("--required-resource-accesses", "@rra.json", "--query", "appId", "--output", "tsv");
  add("Register the app; APP_ID is its Application (client) id.", create, "APP_ID");
  if (kind === "b2c") {
    files["b2c.json"] = { api: { requestedAccessTokenVersion: 2 }, signInAudience: application.signInAudience };
    add("B2C: accept user-flow accounts (Graph needs v2 access tokens for this audience).", [
      "az",
      "rest",
      "--method",
      "PATCH",
      "--uri",
      "https://graph.microsoft.com/v1.0/applications(appId='$APP_ID')",
      "--headers",
      "Content-Type=application/json",
      "--body",
      "@b2c.json",
    ]);
  }
  add(
    "Create its service principal (the enterprise application) in this tenant.",
    ["az", "ad", "sp", "create", "--id", "$APP_ID", "--query", "id", "--output", "tsv"],
    "SP_ID",
  );
  add(
    kind === "entra-single" || kind === "entra-multi"
      ? "Optional: consent to the sign-in permissions for the whole tenant (needs an administrator)."
      : "Consent to the sign-in permissions for the tenant (its users cannot consent themselves).",
    ["az", "ad", "app", "permission", "admin-consent", "--id", "$APP_ID"],
  );
  add("Create the client secret (valid one year); it is printed once: give it to pandgate as IDP_CLIENT_SECRET.", [
    "az",
    "ad",
    "app",
    "credential",
    "reset",
    "--id",
    "$APP_ID",
    "--display-name",
    "pandgate",
    "--years",
    "1",
    "--query",
    "password",
    "--output",
    "tsv",
  ]);
  if (application.appRoles) {
    add("Make a user Admin: replace <user object id> (az ad user show --id <user@domain> --query id -o tsv).", [
      "az",
      "rest",
      "--method",
      "POST",
      "--uri",
      "https://graph.microsoft.com/v1.0/servicePrincipals/$SP_ID/appRoleAssignedTo",
      "--headers",
      "Content-Type=application/json",
      "--body",
      `{"principalId":"<user object id>","resourceId":"$SP_ID","appRoleId":"${ADMIN_ROLE_ID}"}`,
    ]);
  }

  return { kind, application, files, commands, settings: settingsFor(kind), idpKind };
}

/** What to put into pandgate afterwards: [setting, value, note]. */
export function settingsFor(kind) {
  const clientId = ["IDP_CLIENT_ID", "<APP_ID>", "the Application (client) id: echo $APP_ID"];
  const secret = ["IDP_CLIENT_SECRET", "<the password printed above>", "a secret: npx wrangler secret put IDP_CLIENT_SECRET"];
  switch (kind) {
    case "entra-single":
      return [["IDP_KIND", "entra", ""], ["IDP_TENANT", "<tenant id>", "az account show --query tenantId -o tsv"], clientId, secret];
    case "entra-multi":
      return [
        ["IDP_KIND", "entra", ""],
        ["IDP_TENANT", "organizations", ""],
        ["ALLOWED_TENANT_IDS", "<tenant id>,<tenant id>", "the tenants whose users may sign in, or * for any"],
        clientId,
        secret,
      ];
    case "b2c":
      return [
        ["IDP_KIND", "b2c", ""],
        ["IDP_TENANT", "<tenant>", "the name before .onmicrosoft.com"],
        ["IDP_POLICY", B2C_POLICY_EXAMPLE, "your sign-up/sign-in user flow"],
        clientId,
        secret,
      ];
    case "external-id":
      return [
        ["IDP_KIND", "external-id", ""],
        ["IDP_TENANT", "<external tenant id>", "az account show --query tenantId -o tsv"],
        ["IDP_DOMAIN", "<subdomain>.ciamlogin.com", "or your custom URL domain"],
        clientId,
        secret,
      ];
    default:
      throw new UsageError(`--kind must be one of ${Object.keys(KINDS).join(", ")}`);
  }
}

/** What to do outside the CLI, per kind. */
export function afterwards(kind) {
  switch (kind) {
    case "entra-single":
    case "entra-multi":
      return [
        "Users get the Admin role under Enterprise applications → pandgate → Users and groups (or with the az rest line above).",
        ...(kind === "entra-multi"
          ? ["Every other tenant's administrator consents once (the first sign-in asks), and assigns Admin in their own tenant."]
          : []),
      ];
    case "b2c":
      return [
        `Create a sign-up/sign-in user flow (e.g. ${B2C_POLICY_EXAMPLE}) and add Email Addresses, Display Name and User's Object ID to its Application claims.`,
        "B2C user flows issue no roles claim, so pandgate's Admin tools stay unavailable with B2C.",
      ];
    case "external-id":
      return [
        "Add the app to a sign-up/sign-in user flow (External Identities → User flows → Applications).",
        "Assign Admin under Enterprise applications → pandgate → Users and groups (or with the az rest line above).",
      ];
    default:
      return [];
  }
}

/** The az commands as a bash script: heredocs for the JSON files, then the commands, then the settings. */
export function renderScript(plan) {
  const out = [`# pandgate app registration (${KINDS[plan.kind].label}) with the Azure CLI. Run in bash, in an empty directory.`];
  for (const [file, value] of Object.entries(plan.files)) {
    out.push(`cat > ${file} <<'JSON'`, JSON.stringify(value, null, 2), "JSON");
  }
  for (const command of plan.commands) out.push(`# ${command.comment}`, line(command));
  out.push("", "# Settings for pandgate ([vars] in wrangler.toml; the secret with wrangler secret put):");
  for (const [setting, value, note] of plan.settings) {
    out.push(`#   ${setting} = "${value}"${note ? `   (${note})` : ""}`);
  }
  out.push('echo "IDP_CLIENT_ID = $APP_ID"');
  for (const note of afterwards(plan.kind)) out.push(`# Then: ${note}`);
  return out.join("\n");
}
