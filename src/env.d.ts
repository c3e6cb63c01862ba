import type { OAuthHelpers } from "@cloudflare/workers-oauth-provider";

// The OAuth provider adds its helpers to `env` before it calls our handlers.
declare global {
  interface Env {
    OAUTH_PROVIDER: OAuthHelpers;
  }
  namespace Cloudflare {
    interface Env {
      OAUTH_PROVIDER: OAuthHelpers;
    }
  }
}
