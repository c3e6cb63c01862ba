/// <reference lib="dom" />
// The host of the MCP Apps browser test (test/e2e/apps.e2e.test.ts): ext-apps' AppBridge, as a
// host such as Claude runs it, in a page on loopback. `window.showApp(html, result, theme)` puts
// the app into a sandboxed iframe (scripts only: an opaque origin, no access to this page), waits
// for the app's ui/initialize, sends it the tool result and resolves once the app has taken it.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

declare global {
  interface Window {
    showApp(html: string, result: unknown, theme: "light" | "dark"): Promise<void>;
    /** The URLs the shown app asked the host to open (ui/open-link), in order. */
    openedLinks: string[];
    /** The heights the shown app reported (ui/notifications/size-changed), in order. */
    reportedHeights: number[];
  }
}

window.openedLinks = [];
window.reportedHeights = [];
window.showApp = async (html, result, theme) => {
  document.getElementById("app-frame")?.remove();
  window.openedLinks = [];
  window.reportedHeights = [];
  const iframe = document.createElement("iframe");
  iframe.id = "app-frame";
  iframe.title = "MCP App";
  iframe.setAttribute("sandbox", "allow-scripts");
  iframe.style.cssText = "width:100%;height:400px;border:0";
  const initialized = new Promise<void>((resolve) => {
    const bridge = new AppBridge(
      null,
      { name: "pandgate test host", version: "1.0.0" },
      { openLinks: {} },
      { hostContext: { theme, displayMode: "inline", availableDisplayModes: ["inline"] } },
    );
    bridge.oninitialized = () => resolve(void bridge.sendToolResult(result as Parameters<AppBridge["sendToolResult"]>[0]));
    bridge.onsizechange = ({ height }) => {
      if (height) {
        window.reportedHeights.push(height);
        iframe.style.height = `${Math.ceil(height)}px`;
      }
    };
    bridge.onopenlink = async ({ url }) => {
      window.openedLinks.push(url);
      return {};
    };
    // The frame's WindowProxy stays the same when it navigates to the srcdoc: listen before the
    // app's script runs, since it asks to initialize as soon as it starts.
    document.body.append(iframe);
    const target = iframe.contentWindow as Window;
    void bridge.connect(new PostMessageTransport(target, target)).then(() => {
      iframe.srcdoc = html;
    });
  });
  await initialized;
};
