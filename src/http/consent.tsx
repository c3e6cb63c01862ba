import type { ConsentDescription } from "@cloudflare/workers-oauth-provider";
import { SCOPE_OFFLINE, SCOPE_READ, SCOPE_WRITE } from "../auth/scopes";
import { REFRESH_ABSOLUTE_TTL_S, REFRESH_IDLE_TTL_S } from "../auth/token-lifetimes";
import { SERVER_NAME } from "../version";
import { Page } from "./layout";

const DAY_S = 24 * 60 * 60;
const SCOPE_TEXT: Record<string, string> = {
  [SCOPE_READ]: "Look up property data and read your saved assessments",
  [SCOPE_WRITE]: "Create and delete property assessments in your name",
  [SCOPE_OFFLINE]: `Stay signed in: the app renews its access by itself (refresh tokens) for up to ${REFRESH_ABSOLUTE_TTL_S / DAY_S} days, ${REFRESH_IDLE_TTL_S / DAY_S} without use; untick it to sign in again after an hour`,
};

/**
 * The consent page: who is asking (name, verified domain for a metadata-document client), where
 * access will be sent, and what for. Every value is escaped by hono/jsx. The page is only ever
 * sent with the library's anti-framing headers.
 */
export function ConsentPage(props: {
  details: ConsentDescription;
  handle: string;
  offered: string[];
  /** Scopes ticked when the page opens: what the app asked for, and offline_access for a refresh-capable app (see signin.tsx). */
  preselected: string[];
  /** The redirect is a private-use scheme (`cursor://…`): an app installed on this computer. */
  desktopApp: boolean;
  identityProvider: string;
}) {
  const { details } = props;
  const ticked = new Set(props.preselected);
  return (
    <Page title={`Allow ${details.clientName}? · ${SERVER_NAME}`}>
      <h1>Allow {details.clientName} to use pandgate for you?</h1>
      {details.clientDomain ? (
        <p>
          Published by <strong>{details.clientDomain}</strong>.
        </p>
      ) : (
        <p class="muted">This app registered itself; its name is not verified.</p>
      )}
      {props.desktopApp ? (
        <p class="notice">
          <strong>This is a desktop app.</strong> Access will be sent to the app on this computer that handles{" "}
          <strong>{details.redirectUri}</strong>. Continue only if you just started signing in from that app yourself.
        </p>
      ) : (
        <p>
          Access will be sent to <strong>{details.redirectHost}</strong>.
        </p>
      )}
      {details.redirectIsLoopback ? (
        <p class="notice">
          <strong>This sends access to an app on your own computer.</strong> Continue only if you just started signing in from such an app
          yourself.
        </p>
      ) : null}
      <form method="post" action="/authorize">
        <input type="hidden" name="handle" value={props.handle} />
        <fieldset>
          <legend>It will be able to:</legend>
          {props.offered.map((scope) => (
            <label class="choice">
              <input
                type="checkbox"
                name="scope"
                value={scope}
                checked={scope === SCOPE_READ || ticked.has(scope)}
                disabled={scope === SCOPE_READ}
              />{" "}
              {SCOPE_TEXT[scope] ?? scope} <code>{scope}</code>
            </label>
          ))}
          <input type="hidden" name="scope" value={SCOPE_READ} />
        </fieldset>
        <p>
          <label class="choice">
            <input type="checkbox" name="remember" value="yes" /> Remember this app on this browser for 30 days
          </label>
        </p>
        <p>You will sign in with {props.identityProvider} next.</p>
        <div class="actions">
          <button type="submit" name="decision" value="approve" class="button button-primary">
            Allow access
          </button>
          <button type="submit" name="decision" value="deny" class="button button-secondary">
            Deny
          </button>
        </div>
      </form>
    </Page>
  );
}
