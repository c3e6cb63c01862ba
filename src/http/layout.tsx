import type { MiddlewareHandler } from "hono";
import { tryGetContext } from "hono/context-storage";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { SERVER_NAME, SERVER_VERSION } from "../version";

/** The organisation a deployment names in every page's header (ORG_NAME, ORG_LOGO_URL). */
export interface Branding {
  orgName?: string | undefined;
  orgLogoUrl?: string | undefined;
}

type BrandingEnv = { Variables: { branding: Branding } };

/**
 * Puts the deployment's branding where every page finds it: the request's context, reached
 * through `hono/context-storage` (which createApp installs), so pages rendered anywhere in the
 * app get the same header without each caller passing it on.
 */
export function provideBranding(branding: Branding): MiddlewareHandler<BrandingEnv> {
  return async (c, next) => {
    c.set("branding", branding);
    await next();
  };
}

function currentBranding(): Branding {
  return tryGetContext<BrandingEnv>()?.var.branding ?? {};
}

/*
 * Colours: text #1b2430 on white (15:1), muted #4a5562 (7.6:1), links and the primary button
 * #0b4f9c (8.3:1 with white), code on #eef1f5 (13:1). Every interactive element shows a focus ring.
 * Reflow (WCAG 1.4.10): nothing makes a page wider than 320 px. Code wraps inside its box (the
 * copied text has no added line breaks), long words and URLs break, and at 40rem or narrower a
 * `table.stack` shows each row as a block with every cell labelled by its column.
 */
export const STYLE = `
*,*::before,*::after{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b2430;background:#fff;line-height:1.55;overflow-wrap:break-word}
a{color:#0b4f9c}
a:focus-visible,button:focus-visible,input:focus-visible,summary:focus-visible{outline:3px solid #d97706;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem}
.skip:focus{left:1rem}
.site-header{border-bottom:1px solid #d5dbe3;background:#f6f8fb}
.site-header .bar{max-width:52rem;margin:0 auto;padding:.75rem 1rem;display:flex;align-items:center;gap:.75rem;flex-wrap:wrap}
.site-header img{height:2rem;width:auto;max-width:10rem}
.org{font-weight:600}
.product{color:#4a5562}
main{max-width:52rem;margin:0 auto;padding:1.5rem 1rem 2rem}
h1{font-size:1.7rem;line-height:1.25;margin:.5rem 0 .75rem}
h2{font-size:1.3rem;margin:2rem 0 .5rem;padding-top:.5rem;border-top:1px solid #e3e7ed}
h3{font-size:1.08rem;margin:1.5rem 0 .4rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f5;border-radius:4px;font-size:.9em}
code{padding:.05rem .3rem;overflow-wrap:anywhere}
pre{padding:.75rem;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
pre code{padding:0;background:none}
pre:focus-visible{outline:3px solid #d97706;outline-offset:2px}
.muted{color:#4a5562}
.notice{border-left:4px solid #b45309;background:#fff7e6;padding:.6rem .9rem}
.url-box{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
.url-box input{flex:1 1 22rem;min-width:0;max-width:100%;font:inherit;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:.5rem .6rem;border:2px solid #4a5562;border-radius:6px;background:#fff;color:#1b2430}
label.field{display:block;font-weight:600;margin-bottom:.3rem}
.button{font:inherit;font-weight:600;padding:.55rem 1.2rem;border-radius:6px;cursor:pointer;border:2px solid #0b4f9c;min-height:2.75rem}
.button-primary{background:#0b4f9c;color:#fff}
.button-primary:hover{background:#083d79;border-color:#083d79}
.button-secondary{background:#fff;color:#1b2430;border-color:#4a5562}
.button-secondary:hover{background:#eef1f5}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin:1.25rem 0}
fieldset{border:1px solid #c4ccd6;border-radius:6px;padding:.5rem 1rem}
legend{font-weight:600;padding:0 .3rem}
.choice{display:block;margin:.4rem 0}
table{border-collapse:collapse;width:100%;font-size:.95em}
caption{text-align:left;color:#4a5562;padding-bottom:.3rem}
th,td{text-align:left;vertical-align:top;border-bottom:1px solid #d5dbe3;padding:.45rem .5rem}
thead th{border-bottom:2px solid #4a5562}
@media (max-width:40rem){
table.stack,table.stack tbody,table.stack tr,table.stack th,table.stack td{display:block;width:100%}
table.stack caption{display:block}
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
table.stack tr{border-bottom:2px solid #d5dbe3;padding:.4rem 0}
table.stack th,table.stack td{border:0;padding:.15rem 0}
table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#4a5562}
}
nav ul{padding-left:1.2rem;columns:2 12rem}
details{margin:.5rem 0}
summary{cursor:pointer;color:#0b4f9c}
.site-footer{max-width:52rem;margin:0 auto;padding:1rem;border-top:1px solid #e3e7ed;color:#4a5562;font-size:.92em}
.site-footer a{color:#0b4f9c}
`;

/** The header every page starts with: the organisation (when configured) and the server's name. */
function SiteHeader() {
  const { orgName, orgLogoUrl } = currentBranding();
  return (
    <header class="site-header">
      <div class="bar">
        {orgLogoUrl ? (
          // Next to the organisation's name the logo adds nothing for a screen reader; alone, it names the organisation.
          <img src={orgLogoUrl} alt={orgName ? "" : "Organisation logo"} referrerpolicy="no-referrer" />
        ) : null}
        {orgName ? <span class="org">{orgName}</span> : null}
        <span class="product">{SERVER_NAME}: Dutch property data over MCP</span>
      </div>
    </header>
  );
}

/**
 * The frame of every server-rendered page: header, main content, footer. hono/jsx escapes every
 * value placed in it. `script` is an inline script the page's CSP allows by its hash (the landing
 * page's copy button); no other page has one.
 */
export function Page(props: { title: string; children: Child; script?: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{props.title}</title>
        <style>{raw(STYLE)}</style>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <SiteHeader />
        <main id="main">{props.children}</main>
        <footer class="site-footer">
          {SERVER_NAME} {SERVER_VERSION}
        </footer>
        {props.script ? <script>{raw(props.script)}</script> : null}
      </body>
    </html>
  );
}
