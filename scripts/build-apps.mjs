// Builds the MCP Apps (apps/*.ts, see src/mcp/apps.ts) into one self-contained HTML file each,
// in dist-apps/: the app's script (with the ext-apps App runtime bundled in) and apps/style.css
// inlined, no external URL. The Worker serves these as Workers Static Assets (the ASSETS binding
// in wrangler.toml) and reads them for the ui:// resources; they are not in the Worker bundle.
// Run by `npm run dev`, `npm run build`, `npm run deploy`, the test configs and the e2e stacks
// (scripts/local-stack.mjs) before wrangler or workerd reads the assets folder; `node
// scripts/build-apps.mjs` runs it alone. Deterministic; a file whose content is unchanged is not
// touched (every running `wrangler dev` watches the folder and would restart mid-request, as the
// e2e stacks start one after another), and a changed one is replaced atomically from a temporary
// file outside the folder, so builds running at the same time never leave a half-written file.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(import.meta.dirname, "..");
export const APPS_DIR = path.join(ROOT, "dist-apps");
/** Where a changed page is written before it is renamed into APPS_DIR (same file system, not watched). */
const STAGING_DIR = path.join(ROOT, ".dist-apps-staging");

/** Each app: its entry under apps/, its file in dist-apps/ and its page title. */
export const APPS = [
  { entry: "property-card.ts", file: "property-card.html", title: "Property card" },
  { entry: "portfolio-dashboard.ts", file: "portfolio-dashboard.html", title: "Portfolio dashboard" },
];

export async function buildApps({ quiet = true } = {}) {
  mkdirSync(APPS_DIR, { recursive: true });
  mkdirSync(STAGING_DIR, { recursive: true });
  const css = readFileSync(path.join(ROOT, "apps", "style.css"), "utf8");
  const sizes = [];
  for (const app of APPS) {
    const out = await build({
      entryPoints: [path.join(ROOT, "apps", app.entry)],
      bundle: true,
      write: false,
      minify: true,
      format: "iife",
      platform: "browser",
      target: "es2022",
      legalComments: "none",
      // zod without its locales, as in the Worker (wrangler.toml [alias]).
      alias: { zod: path.join(ROOT, "shims", "zod.mjs"), "zod/v4": path.join(ROOT, "shims", "zod.mjs") },
      logLevel: "error",
    });
    // Inside an inline <script>, "</script" and "<!--" must not appear: both can only occur in
    // string or regular expression literals, where the escaped form means the same.
    const js = out.outputFiles[0].text.replaceAll("</script", "<\\/script").replaceAll("<!--", "<\\!--");
    const scriptHash = createHash("sha256").update(js).digest("base64");
    // The page's own CSP, besides the one the host applies from the resource's _meta.ui.csp: its
    // one inline script by hash, inline styles, nothing fetched.
    const csp = [
      "default-src 'none'",
      `script-src 'sha256-${scriptHash}'`,
      "style-src 'unsafe-inline'",
      "img-src data:",
      "font-src data:",
      "connect-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
    ].join("; ");
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>pandgate: ${app.title}</title>
<style>${css}</style>
</head>
<body>
<main id="app" aria-busy="true"><p>Waiting for the tool result…</p></main>
<script>${js}</script>
</body>
</html>
`;
    const target = path.join(APPS_DIR, app.file);
    if (!existsSync(target) || readFileSync(target, "utf8") !== html) {
      const temp = path.join(STAGING_DIR, `${app.file}.${process.pid}.${Date.now()}.tmp`);
      writeFileSync(temp, html);
      renameSync(temp, target);
    }
    sizes.push(`${app.file} ${(html.length / 1024).toFixed(0)} KiB`);
  }
  if (!quiet) console.log(`MCP Apps built into dist-apps/: ${sizes.join(", ")}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await buildApps({ quiet: false });
