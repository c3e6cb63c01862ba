import { exports } from "cloudflare:workers";

/**
 * A browser stand-in for the Worker's pages: keeps cookies (dropping expired ones), never
 * follows redirects by itself, and reaches the Worker through its real fetch entry.
 */
export class Browser {
  readonly #cookies = new Map<string, string>();

  get cookieNames(): string[] {
    return [...this.#cookies.keys()];
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size > 0) headers.set("cookie", [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await exports.default.fetch(new Request(url, { ...init, headers, redirect: "manual" }));
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "";
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return res;
  }

  /** A second browser with the same cookies (for replay tests). */
  clone(): Browser {
    const copy = new Browser();
    for (const [k, v] of this.#cookies) copy.#cookies.set(k, v);
    return copy;
  }
}

export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match?.[1]) throw new Error(`no hidden field ${name} in the page`);
  return match[1].replaceAll("&amp;", "&");
}
