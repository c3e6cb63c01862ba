import { SCOPE_OFFLINE, SCOPE_READ, SCOPE_WRITE } from "../auth/scopes";
import type { Config } from "../config";
import type { DataProvenance } from "../data/services";
import { isLoopbackHostname } from "../encoding";
import type { ToolSpec } from "../mcp/catalog";
import { SERVER_NAME, SERVER_VERSION } from "../version";
import { Page } from "./layout";

/** The versions docs/connecting-clients.md ("Versions tested") names and the e2e tests run. */
export const MCP_REMOTE_VERSION = "0.15.1";
export const INSPECTOR_VERSION = "2.12.0";

/** The MCP Inspector web UI's origin, which calls the server from the browser. */
const INSPECTOR_ORIGIN = "http://localhost:6274";

/**
 * The copy button's script, the only script any page runs; the landing page's CSP allows exactly
 * this text by its hash. Without JavaScript the button stays hidden and the address is plain,
 * selectable text in a read-only field.
 */
export const COPY_SCRIPT = `(() => {
  const input = document.getElementById("mcp-url");
  const button = document.getElementById("copy-url");
  const status = document.getElementById("copy-status");
  if (!input || !button || !status) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    input.focus();
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = "Copied the server URL.";
    } catch {
      status.textContent = "Could not copy by itself: the URL is selected, press Ctrl+C (Cmd+C on a Mac).";
    }
  });
})();`;

const IDP_TEXT: Record<NonNullable<Config["upstream"]>["kind"], string> = {
  entra: "your organisation's Microsoft account (Microsoft Entra ID)",
  b2c: "your account (Azure AD B2C)",
  "external-id": "your account (Microsoft Entra External ID)",
  oidc: "your organisation's identity provider",
};

const SCOPE_TEXT: Array<[string, string]> = [
  [SCOPE_READ, "look up property data and read your saved assessments (always granted)"],
  [SCOPE_WRITE, "create and delete property assessments in your name"],
  [
    SCOPE_OFFLINE,
    '"Stay signed in": the client renews its access without asking you every hour (refresh tokens); ticked for clients that can use it, and you may untick it',
  ],
];

/** The exact configuration snippets the page shows, each with the server's real URL. */
export function clientSnippets(mcpUrl: string, publicOrigin: string) {
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  return {
    claudeDesktop: json({ mcpServers: { pandgate: { command: "npx", args: ["-y", `mcp-remote@${MCP_REMOTE_VERSION}`, mcpUrl] } } }),
    vscode: json({ servers: { pandgate: { type: "http", url: mcpUrl } } }),
    cursor: json({ mcpServers: { pandgate: { url: mcpUrl } } }),
    mcpRemote: `npx -y mcp-remote@${MCP_REMOTE_VERSION} ${mcpUrl}`,
    inspectorUi: `npx -y -p node@22 -p @modelcontextprotocol/inspector@${INSPECTOR_VERSION} mcp-inspector`,
    inspectorCli: `npx -y -p node@22 -p @modelcontextprotocol/inspector@${INSPECTOR_VERSION} mcp-inspector --cli ${mcpUrl} --transport http --method tools/list`,
    inspectorHeadless: `MCP_AUTO_OPEN_ENABLED=true MCP_INSPECTOR_SECRET_STORE=file npx -y -p node@22 -p @modelcontextprotocol/inspector@${INSPECTOR_VERSION} mcp-inspector --cli ${mcpUrl} --transport http --method tools/list`,
    tunnel: `cloudflared tunnel --url ${publicOrigin}`,
    tunnelDev: "PUBLIC_URL=https://<name>.trycloudflare.com npm run dev",
    blockbrainClient: [
      "OPERATOR_SECRET=… npm run clients -- create --name Blockbrain \\",
      "  --redirect-uri <Blockbrain's callback URL> \\",
      `  --url ${publicOrigin}`,
    ].join("\n"),
  };
}

const CLIENTS = [
  ["claude", "Claude (claude.ai, Claude Desktop, Cowork)"],
  ["claude-desktop-config", "Claude Desktop through mcp-remote"],
  ["chatgpt", "ChatGPT"],
  ["vscode", "VS Code"],
  ["cursor", "Cursor"],
  ["inspector", "MCP Inspector"],
  ["mcp-remote", "mcp-remote (any stdio-only client)"],
  ["blockbrain", "Blockbrain"],
] as const;

/** A hosted client's note that it cannot reach this server's URL: it connects from its maker's cloud. */
function HostedClientNotice(props: { client: string; cloud: string }) {
  return (
    <p class="notice">
      {props.client} connects from {props.cloud} cloud, so it needs this server at a public https URL first (see{" "}
      <a href="#public-url-needed">above</a>).
    </p>
  );
}

function ClientHeading(props: { id: (typeof CLIENTS)[number][0] }) {
  const title = CLIENTS.find(([id]) => id === props.id)?.[1] ?? props.id;
  return <h3 id={props.id}>{title}</h3>;
}

/**
 * A snippet to copy. Long lines wrap inside the box (no text is ever out of view), and selecting
 * it copies the text exactly as shown here, without the wrap points. Focusable, so a keyboard
 * user can select it too.
 */
function Snippet(props: { text: string; label?: string }) {
  return (
    <pre tabindex={0} class="snippet" {...(props.label ? { "aria-label": props.label } : {})}>
      <code>{props.text}</code>
    </pre>
  );
}

/**
 * Whether clients in someone else's cloud (Claude, ChatGPT) can reach this server: only at an
 * https URL that is not this computer. (PUBLIC_URL is https, or http on loopback only.)
 */
export function reachableFromHostedClients(publicOrigin: string): boolean {
  const url = new URL(publicOrigin);
  return url.protocol === "https:" && !isLoopbackHostname(url.hostname);
}

/** Shown when the server's URL is this computer's: hosted clients need a public https URL first. */
function NotReachableNotice(props: { url: string; snippets: ReturnType<typeof clientSnippets> }) {
  return (
    <div class="notice" id="public-url-needed">
      <p>
        <strong>Claude and ChatGPT cannot use this URL.</strong> <code>{props.url}</code> is on this computer, and those clients connect
        from their own clouds (Claude Desktop's connectors too). They need a public <strong>https</strong> URL. Clients that run on this
        computer (VS Code, Cursor, the MCP Inspector, mcp-remote, Claude Desktop through mcp-remote) work with it as it is.
      </p>
      <p>To get a public https URL, either:</p>
      <ul>
        <li>
          deploy pandgate to Cloudflare with <code>npm run setup</code> and use the URL it prints; or
        </li>
        <li>
          for a try-out, run a tunnel to this server, for example Cloudflare's quick tunnel:
          <Snippet text={props.snippets.tunnel} label="Tunnel command" />
          then restart the server with the https address the tunnel prints as <code>PUBLIC_URL</code>, so the sign-in metadata and redirects
          name that address (with <code>npm run dev</code>, or in <code>.dev.vars</code>):
          <Snippet text={props.snippets.tunnelDev} label="Restart with the tunnel's URL" />
          and give clients that address followed by <code>/mcp</code>. A quick tunnel gets a new address each time it starts.
        </li>
      </ul>
    </div>
  );
}

/** The first sentence of a tool's description, for the table ("e.g. 3817 AC" does not end one). */
export function summary(description: string): string {
  const match = /^(.+?(?<!\be\.g|\bi\.e)\.)(?=\s|$)/s.exec(description.trim());
  return match?.[1] ?? description;
}

function DataSection(props: { provenance: DataProvenance }) {
  const { provenance } = props;
  if (provenance.source === "synthetic") {
    return (
      <section aria-labelledby="data">
        <h2 id="data">Data: synthetic</h2>
        <p class="notice">
          This server answers from a <strong>synthetic demonstration dataset</strong>: made-up addresses, buildings, energy labels, parcels,
          monuments and neighbourhood figures. It is not taken from the real registers; every answer marks its sources as synthetic.
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="data">
      <h2 id="data">Data: live registers</h2>
      <p>This server answers from the live public registers (answers are cached for a while). It asks:</p>
      <table class="stack">
        <caption>Registers this server asks</caption>
        <thead>
          <tr>
            <th scope="col">Register</th>
            <th scope="col">API</th>
            <th scope="col">Host</th>
          </tr>
        </thead>
        <tbody>
          {provenance.registers.map((register) => (
            <tr>
              <td data-label="Register">{register.name}</td>
              <td data-label="API">
                {register.version}
                {register.table ? `, table ${register.table}` : ""}
              </td>
              <td data-label="Host">
                <code>{register.host}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ToolsSection(props: { tools: readonly ToolSpec[] }) {
  return (
    <section aria-labelledby="tools">
      <h2 id="tools">Tools</h2>
      <p>
        What a client can call once connected. Each tool needs the scopes listed (allowed on the consent page); some also need an app role
        your organisation assigns in its identity provider.
      </p>
      <table class="stack">
        <caption>{props.tools.length} tools, with the scopes and app roles each needs</caption>
        <thead>
          <tr>
            <th scope="col">Tool</th>
            <th scope="col">What it does</th>
            <th scope="col">Scopes</th>
            <th scope="col">App role</th>
          </tr>
        </thead>
        <tbody>
          {props.tools.map((tool) => (
            <tr id={`tool-${tool.name}`}>
              <th scope="row">
                <code>{tool.name}</code>
                <br />
                <span class="muted">{tool.title}</span>
              </th>
              <td data-label="What it does">{summary(tool.description)}</td>
              <td data-label="Scopes">
                {tool.requiredScopes.map((scope, i) => (
                  <>
                    {i > 0 ? " " : ""}
                    <code>{scope}</code>
                  </>
                ))}
              </td>
              <td data-label="App role">
                {tool.requiredRoles && tool.requiredRoles.length > 0
                  ? tool.requiredRoles.map((role, i) => (
                      <>
                        {i > 0 ? " or " : ""}
                        <code>{role}</code>
                      </>
                    ))
                  : "anyone"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export interface LandingProps {
  config: Pick<Config, "mcpResource" | "publicOrigin" | "upstream" | "allowedOrigins" | "allowLoopbackOrigins" | "orgName">;
  tools: readonly ToolSpec[];
  provenance: DataProvenance;
}

/**
 * The landing page: the connect guide, generated from this server's configuration and its tool
 * catalog. It works without JavaScript; the copy button is the only thing a script adds.
 */
export function LandingPage(props: LandingProps) {
  const { config } = props;
  const url = config.mcpResource;
  const snippets = clientSnippets(url, config.publicOrigin);
  const inspectorAllowed = config.allowLoopbackOrigins || config.allowedOrigins.includes(INSPECTOR_ORIGIN);
  const hostedReachable = reachableFromHostedClients(config.publicOrigin);
  return (
    <Page title={`Connect to ${SERVER_NAME}${config.orgName ? ` · ${config.orgName}` : ""}`} script={COPY_SCRIPT}>
      <h1>Connect to {SERVER_NAME}</h1>
      <p>
        A remote Model Context Protocol (MCP) server for Dutch property data: addresses, buildings, energy labels, parcels, monuments,
        neighbourhood statistics and your own saved property assessments.
        {config.upstream
          ? ` You sign in with ${IDP_TEXT[config.upstream.kind]} the first time a client connects.`
          : " Sign-in is not configured on this server yet, so clients cannot connect."}
      </p>

      <section aria-labelledby="server-url">
        <h2 id="server-url">Server URL</h2>
        <label class="field" for="mcp-url">
          MCP server URL (Streamable HTTP)
        </label>
        <div class="url-box">
          <input id="mcp-url" type="text" readonly value={url} aria-describedby="copy-hint" spellcheck={false} autocomplete="off" />
          <button id="copy-url" type="button" class="button button-primary" hidden>
            Copy URL
          </button>
        </div>
        <p id="copy-hint" class="muted">
          Select the URL and copy it (Ctrl+C, or Cmd+C on a Mac), then paste it into your client as below.
        </p>
        <p id="copy-status" role="status" aria-live="polite"></p>
        {hostedReachable ? null : <NotReachableNotice url={url} snippets={snippets} />}
        <p>
          Every client signs in the same way: it finds the sign-in by itself (OAuth 2.1), then opens a consent page in your browser. There
          you allow what the client may do:
        </p>
        <ul>
          {SCOPE_TEXT.map(([scope, text]) => (
            <li>
              <code>{scope}</code>: {text}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="clients">
        <h2 id="clients">Connect your client</h2>
        <nav aria-label="Clients">
          <ul>
            {CLIENTS.map(([id, title]) => (
              <li>
                <a href={`#${id}`}>{title}</a>
              </li>
            ))}
          </ul>
        </nav>

        <section aria-labelledby="claude">
          <ClientHeading id="claude" />
          {hostedReachable ? null : <HostedClientNotice client="Claude" cloud="Anthropic's" />}
          <p>
            <strong>Claude Team and Enterprise:</strong> only an Owner (or Primary Owner) of your organisation can add a custom connector.
            The Owner adds it once for everyone in the organisation's admin settings (Connectors) with the name and URL below; then each
            member connects it under Settings → Connectors and signs in as themselves.
          </p>
          <p>
            <strong>Pro and Max</strong> (and members, once the Owner has added it):
          </p>
          <ol>
            <li>Open Settings → Connectors → Add custom connector (in Claude Desktop the same, under Settings → Connectors).</li>
            <li>
              Name it <strong>pandgate</strong> and paste the URL <code>{url}</code>.
            </li>
            <li>Choose Connect, sign in and allow access.</li>
          </ol>
          <p class="muted">
            Claude asks for more access only at this first sign-in: leave <code>{SCOPE_WRITE}</code> ticked to save assessments, and "Stay
            signed in" (<code>{SCOPE_OFFLINE}</code>) so it does not ask you to sign in every hour.
          </p>
        </section>

        <section aria-labelledby="claude-desktop-config">
          <ClientHeading id="claude-desktop-config" />
          <p>
            For a stdio-only setup, add this to <code>claude_desktop_config.json</code> (Settings → Developer → Edit Config) and restart
            Claude Desktop; the sign-in opens in your browser on first use.
          </p>
          <Snippet text={snippets.claudeDesktop} />
        </section>

        <section aria-labelledby="chatgpt">
          <ClientHeading id="chatgpt" />
          {hostedReachable ? null : <HostedClientNotice client="ChatGPT" cloud="OpenAI's" />}
          <p>
            Custom apps (connectors) need ChatGPT's developer mode, and whether you have it depends on your plan and workspace. In a
            Business, Enterprise or Edu workspace an admin or owner must first allow developer mode (custom MCP connectors) in the workspace
            settings, and may have to publish the app before members can use it. Which plans have developer mode, and whether it allows
            tools that save data, is OpenAI's to decide and changes: see OpenAI's help article "Developer mode and MCP apps in ChatGPT".
          </p>
          <ol>
            <li>Open Settings → Apps (formerly Apps &amp; Connectors) → Advanced settings and turn on Developer mode.</li>
            <li>
              Create an app (connector) named <strong>pandgate</strong> with the URL <code>{url}</code> and authentication{" "}
              <strong>OAuth</strong>.
            </li>
            <li>Sign in and allow access; the consent page shows ChatGPT's verified domain, chatgpt.com.</li>
          </ol>
        </section>

        <section aria-labelledby="vscode">
          <ClientHeading id="vscode" />
          <p>
            Command Palette → "MCP: Add Server…" → HTTP → the URL, or put this in <code>.vscode/mcp.json</code>, then start the server and
            allow the sign-in:
          </p>
          <Snippet text={snippets.vscode} />
        </section>

        <section aria-labelledby="cursor">
          <ClientHeading id="cursor" />
          <p>
            Settings → MCP → Add new MCP server, or put this in <code>~/.cursor/mcp.json</code>; the consent page names Cursor a desktop
            app:
          </p>
          <Snippet text={snippets.cursor} />
        </section>

        <section aria-labelledby="inspector">
          <ClientHeading id="inspector" />
          <p>
            Web UI (needs Node 22.19 or later): run the command, choose transport <strong>Streamable HTTP</strong>, enter the URL{" "}
            <code>{url}</code>, and Connect; the OAuth sign-in opens in your browser.
          </p>
          <Snippet text={snippets.inspectorUi} />
          {inspectorAllowed ? null : (
            <p class="notice">
              This server does not take requests from the Inspector's page ({INSPECTOR_ORIGIN}); its operator adds that origin to{" "}
              <code>ALLOWED_ORIGINS</code> to allow it. The command-line form below works regardless.
            </p>
          )}
          <p>Command line (lists the tools; the tokens are kept for later calls):</p>
          <Snippet text={snippets.inspectorCli} />
          <p>
            Without a terminal (a script, CI) the command line refuses to start a sign-in unless <code>MCP_AUTO_OPEN_ENABLED=true</code> is
            set (it then opens the sign-in in the browser). On a machine without an OS keychain (a container, a server) it keeps tokens only
            in memory, so each run signs in again: set <code>MCP_INSPECTOR_SECRET_STORE=file</code> to keep them in{" "}
            <code>~/.mcp-inspector/secrets.json</code> (readable by you only). Later runs can add <code>--stored-auth-only</code> to fail
            instead of starting a sign-in.
          </p>
          <Snippet text={snippets.inspectorHeadless} />
          <p>
            Leave <code>{SCOPE_WRITE}</code> ticked at the first sign-in. If you untick it but keep "Stay signed in" (
            <code>{SCOPE_OFFLINE}</code>), the Inspector answers a write tool's refusal by refreshing its token instead of signing in again,
            which cannot add <code>{SCOPE_WRITE}</code>, and stops with "auth() returned AUTHORIZED without authorization code". Run the
            command once with <code>--relogin</code> (it forgets the stored sign-in for this server) and tick <code>{SCOPE_WRITE}</code> on
            the consent page.
          </p>
        </section>

        <section aria-labelledby="mcp-remote">
          <ClientHeading id="mcp-remote" />
          <p>Bridges any client that speaks only stdio to this server; the sign-in opens in your browser on first use:</p>
          <Snippet text={snippets.mcpRemote} />
        </section>

        <section aria-labelledby="blockbrain">
          <ClientHeading id="blockbrain" />
          <ol>
            <li>
              Admin → Agents → MCP Servers → Add: Server-URL <code>{url}</code>, auth mode <strong>OAuth 2.1</strong>, then{" "}
              <strong>Discover OAuth</strong>.
            </li>
            <li>Save once to see Blockbrain's callback URL.</li>
            <li>
              Blockbrain needs a client with a secret: ask the operator of this server to create one with Blockbrain's callback URL
              (optionally for your organisation only, with <code>--tenant &lt;tenant id&gt;</code>), and paste the client id and secret it
              prints into Blockbrain.
            </li>
          </ol>
          <Snippet text={snippets.blockbrainClient} />
        </section>
      </section>

      <ToolsSection tools={props.tools} />
      <DataSection provenance={props.provenance} />

      <section aria-labelledby="more">
        <h2 id="more">For operators</h2>
        <p class="muted">
          {SERVER_NAME} {SERVER_VERSION}. Health: <a href="/health">/health</a> · OAuth metadata:{" "}
          <a href="/.well-known/oauth-authorization-server">/.well-known/oauth-authorization-server</a> · Resource metadata:{" "}
          <a href="/.well-known/oauth-protected-resource/mcp">/.well-known/oauth-protected-resource/mcp</a>
        </p>
      </section>
    </Page>
  );
}
