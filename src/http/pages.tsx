import { SERVER_NAME, SERVER_VERSION } from "../version";
import { Page } from "./layout";

export function LandingPage(props: { mcpUrl: string }) {
  return (
    <Page title={`${SERVER_NAME}: Dutch property data over MCP`}>
      <h1>{SERVER_NAME}</h1>
      <p class="muted">Version {SERVER_VERSION}</p>
      <p>
        A remote Model Context Protocol server for Dutch property data: addresses, buildings, energy labels, neighbourhood statistics and
        your own saved property assessments. Sign-in is through your organisation's Microsoft Entra ID, Azure AD B2C or Entra External ID.
      </p>
      <h2>Connect a client</h2>
      <p>Add this URL as a remote MCP server (streamable HTTP) in your client:</p>
      <pre>{props.mcpUrl}</pre>
      <p>
        Clients discover how to sign in by themselves (OAuth 2.1 with protected resource metadata). For example, with MCP Inspector or
        mcp-remote:
      </p>
      <pre>{`npx -y mcp-remote ${props.mcpUrl}`}</pre>
      <p class="muted">
        Health: <a href="/health">/health</a> · OAuth metadata:{" "}
        <a href="/.well-known/oauth-authorization-server">/.well-known/oauth-authorization-server</a>
      </p>
    </Page>
  );
}

export function MessagePage(props: { title: string; message: string; detail?: string; action?: { href: string; label: string } }) {
  return (
    <Page title={`${props.title} · ${SERVER_NAME}`}>
      <h1>{props.title}</h1>
      <p class="notice">{props.message}</p>
      {props.detail ? <p class="muted">{props.detail}</p> : null}
      {props.action ? (
        <p>
          <a href={props.action.href}>{props.action.label}</a>
        </p>
      ) : null}
    </Page>
  );
}
