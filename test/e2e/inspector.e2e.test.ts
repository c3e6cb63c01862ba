/// <reference types="node" />
// MCP Inspector 2.12 CLI against the Worker under `wrangler dev`, with its own OAuth: each test
// step is one `mcp-inspector --cli` invocation (run with the project's Node 22; the Inspector
// needs ≥ 22.19), sharing a temporary HOME where the Inspector keeps its OAuth state, so later
// invocations reuse the tokens. The Inspector "opens a browser" through the stand-in
// (MCP_AUTO_OPEN_ENABLED=true forces it without a TTY); the test walks consent and the IdP login
// and requests the Inspector's loopback callback.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ASSESS_ARGS,
  BrowserStandIn,
  type CommandResult,
  completeSignIn,
  expectAuthorizationRequest,
  runNode,
  SEED_ADDRESS,
  scopeList,
  workerRequests,
} from "./clients";
import { ANNA, freePort, ROOT, type Stack, startStack } from "./stack";

const INSPECTOR = path.join(ROOT, "node_modules", ".bin", "mcp-inspector");

/** The CLI arguments of a tools/call of `name`, each argument as a `--tool-arg key=value`. */
function toolCall(name: string, args: Record<string, string | number>): string[] {
  return ["--method", "tools/call", "--tool-name", name, "--tool-arg", ...Object.entries(args).map(([key, value]) => `${key}=${value}`)];
}

describe("MCP Inspector 2.12 CLI with OAuth", () => {
  let stack: Stack;
  let browser: BrowserStandIn;
  let home: string;
  let callbackUrl: string;
  const signIns: Array<Awaited<ReturnType<typeof completeSignIn>>> = [];

  /** One `mcp-inspector --cli <mcpUrl> --transport http --format json …` run. */
  async function inspector(args: string[], options: { target?: string[]; home?: string } = {}): Promise<CommandResult> {
    const run = runNode(
      INSPECTOR,
      ["--cli", ...(options.target ?? [stack.mcpUrl]), "--transport", "http", "--format", "json", "--callback-url", callbackUrl, ...args],
      {
        cwd: ROOT,
        env: browser.env({
          HOME: options.home ?? home,
          // Force the browser hand-off without a TTY.
          MCP_AUTO_OPEN_ENABLED: "true",
          // In a container the Inspector would keep secrets in memory only; the file store makes
          // tokens outlive the process (plaintext, mode 0600, inside the temporary HOME).
          MCP_INSPECTOR_SECRET_STORE: "file",
          NO_COLOR: "1",
        }),
        timeoutMs: 120_000,
      },
    );
    return await browser.run(run);
  }

  function json<T>(result: CommandResult): T {
    expect(result.code, `exit code; stderr:\n${result.stderr}\nstdout:\n${result.stdout}`).toBe(0);
    return JSON.parse(result.stdout) as T;
  }

  beforeAll(async () => {
    stack = await startStack();
    browser = await BrowserStandIn.start();
    home = await browser.scratch("inspector-home");
    callbackUrl = `http://127.0.0.1:${await freePort()}/oauth/callback`;
  });

  afterAll(async () => {
    await browser?.stop();
    await stack?.stop();
  });

  it("signs in on first use (consent: mcp:read only) and lists every tool, the write tools included", async () => {
    browser.onOpen(async (url) => {
      signIns.push(await completeSignIn(url, ANNA, []));
    });
    const listed = json<{ result: { tools: Array<{ name: string }> } }>(await inspector(["--method", "tools/list"]));
    expect(listed.result.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(["Get_Addresses_for_Postcode", "Get_Property_Energy_Label", "Quick_Assess_Property", "Assess_Portfolio"]),
    );

    expect(browser.opened).toHaveLength(1);
    const first = browser.opened[0] as URL;
    expectAuthorizationRequest(first, stack, ["mcp:read", "mcp:write", "offline_access"]);
    expect(signIns[0]?.redirectUri).toBe(callbackUrl);

    // Where the Inspector keeps it: $HOME/.mcp-inspector/storage/oauth.json (registration,
    // discovery, scope) and, with the file secret store, $HOME/.mcp-inspector/secrets.json (tokens).
    const state = JSON.parse(await readFile(path.join(home, ".mcp-inspector", "storage", "oauth.json"), "utf8")) as {
      servers: Record<string, { byIssuer: Record<string, { clientInformation: { client_id: string; redirect_uris: string[] } }> }>;
    };
    const entry = state.servers[stack.mcpUrl]?.byIssuer[stack.url];
    expect(entry?.clientInformation.client_id).toBe(first.searchParams.get("client_id"));
    expect(entry?.clientInformation.redirect_uris).toEqual([callbackUrl]);
    expect((await stat(path.join(home, ".mcp-inspector", "secrets.json"))).mode & 0o777).toBe(0o600);
  });

  it("later invocations reuse the stored tokens for read tools (--stored-auth-only, --use-stored-auth); a fresh HOME cannot", async () => {
    browser.onOpen(undefined);
    const addresses = json<{ result: { structuredContent: { addresses: Array<{ houseNumber: number; street: string }> } } }>(
      await inspector([...toolCall("Get_Addresses_for_Postcode", { postcode: SEED_ADDRESS.postcode }), "--stored-auth-only"]),
    );
    expect(addresses.result.structuredContent.addresses).toContainEqual(
      expect.objectContaining({ houseNumber: SEED_ADDRESS.houseNumber, street: SEED_ADDRESS.street }),
    );

    // --use-stored-auth reads the access token from the store and sends it as a bearer header;
    // it takes the server as --server-url instead of the positional URL.
    const label = json<{ result: { structuredContent: { current: { energyClass: string } | null } } }>(
      await inspector([...toolCall("Get_Property_Energy_Label", ASSESS_ARGS), "--use-stored-auth"], {
        target: ["--server-url", stack.mcpUrl],
      }),
    );
    expect(label.result.structuredContent.current?.energyClass).toBe(SEED_ADDRESS.energyClass);
    expect(browser.opened).toHaveLength(1);

    // The same call without the stored state is refused: exit code 3, auth required.
    const fresh = await inspector(["--method", "tools/list", "--stored-auth-only"], { home: await browser.scratch("empty-home") });
    expect(fresh.code, fresh.stderr).toBe(3);
    expect(fresh.stderr).toContain("auth_required");
    expect(browser.opened).toHaveLength(1);
  });

  it("rent points from the CLI: a WOZ value, counted rubrieken as a JSON argument and a what-if label", async () => {
    browser.onOpen(undefined);
    type Rent = {
      result: {
        isError?: boolean;
        structuredContent: {
          totalPoints: number | null;
          sector: string | null;
          rubrieken: Array<{ rubriek: string; points: number | null; origins: string[] }>;
          whatIf: { label: string; totalPoints: number | null } | null;
        };
        content: Array<{ type: string; text?: string }>;
      };
    };
    // The CLI reads a JSON value for an object argument.
    const call = [
      ...toolCall("Calculate_Rent_Points", { ...ASSESS_ARGS, wozValue: 250000, whatIfLabel: "A" }),
      'rubrieken={"sanitair":10}',
    ];
    const rent = json<Rent>(await inspector([...call, "--stored-auth-only"]));
    const out = rent.result.structuredContent;
    expect(rent.result.isError).toBeFalsy();
    expect(out.totalPoints).toEqual(expect.any(Number));
    expect(["social", "middle", "free"]).toContain(out.sector);
    const byName = new Map(out.rubrieken.map((r) => [r.rubriek, r]));
    expect(byName.get("sanitair")).toMatchObject({ points: 10, origins: ["your input"] });
    // The WOZ rubriek also divides by the area, which comes from BAG here.
    expect(byName.get("wozWaarde")?.origins).toContain("your input");
    expect(out.whatIf?.label).toBe("A");
    expect(rent.result.content.map((c) => c.text ?? "").join("\n")).toContain("not a formal points count");
    expect(browser.opened).toHaveLength(1);
  });

  it("the write tool: 403 insufficient_scope, the Inspector signs in again and the retried call succeeds once mcp:write is approved", async () => {
    browser.onOpen(async (url) => {
      signIns.push(await completeSignIn(url, ANNA, ["mcp:write"]));
    });
    const mark = stack.logs().length;
    const assessed = json<{ result: { isError?: boolean; structuredContent: { assessmentId: string; address: { label: string } } } }>(
      await inspector(toolCall("Quick_Assess_Property", ASSESS_ARGS)),
    );
    expect(assessed.result.isError).toBeFalsy();
    expect(assessed.result.structuredContent.assessmentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(assessed.result.structuredContent.address.label).toContain(SEED_ADDRESS.street);

    expect(browser.opened).toHaveLength(2);
    const again = browser.opened[1] as URL;
    expect(again.searchParams.get("client_id")).toBe(browser.opened[0]?.searchParams.get("client_id"));
    expect(signIns[1]?.redirectUri).toBe(callbackUrl);
    // Inspector 2.12 CLI quirk: this second sign-in asks for the scope it holds (mcp:read, plus
    // offline_access) rather than the challenge's mcp:read mcp:write, so the user must tick
    // mcp:write on the consent page (which offers every scope). Seeing mcp:write requested here
    // means the Inspector changed; then this expectation can be tightened.
    expect(scopeList(again.searchParams.get("scope"))).toContain("mcp:read");
    expect(scopeList(again.searchParams.get("scope"))).not.toContain("mcp:write");

    // What the Worker saw: the call refused with 403, a new sign-in, then the call answered.
    await vi.waitFor(() => expect(workerRequests(stack.logs(), mark).at(-1)).toBe("POST /mcp 200"), { timeout: 30_000 });
    const requests = workerRequests(stack.logs(), mark);
    const refused = requests.indexOf("POST /mcp 403");
    expect(refused, requests.join("\n")).toBeGreaterThanOrEqual(0);
    expect(requests.slice(refused + 1)).toEqual(
      expect.arrayContaining(["GET /authorize 200", "POST /authorize 302", "GET /oauth/callback 302", "POST /oauth/token 200"]),
    );
    expect(requests.filter((r) => r === "POST /mcp 403")).toHaveLength(1);
  });

  it("a progress-reporting call: the CLI shows no progress, but a progress token sent as _meta makes Assess_Portfolio stream and return its summary", async () => {
    browser.onOpen(undefined);
    const addresses = JSON.stringify({
      addresses: [
        { postcode: SEED_ADDRESS.postcode, houseNumber: 1 },
        { postcode: SEED_ADDRESS.postcode, houseNumber: 3 },
      ],
    });
    type Portfolio = {
      result: {
        isError?: boolean;
        structuredContent: { state: string; total: number; summary: { done: number; assessmentIds: string[] } | null };
      };
    };
    const streamed = json<Portfolio>(
      await inspector([
        "--method",
        "tools/call",
        "--tool-name",
        "Assess_Portfolio",
        "--tool-args-json",
        addresses,
        "--tool-metadata",
        "progressToken=inspector-e2e",
        "--stored-auth-only",
      ]),
    );
    expect(streamed.result.isError).toBeFalsy();
    // With a progress token the tool reports per address and answers when the job has ended.
    expect(streamed.result.structuredContent).toMatchObject({ state: "completed", total: 2 });
    expect(streamed.result.structuredContent.summary?.done).toBe(2);
    expect(streamed.result.structuredContent.summary?.assessmentIds).toHaveLength(2);

    // Without one it answers at once with the job id and no summary.
    const started = json<Portfolio>(
      await inspector(["--method", "tools/call", "--tool-name", "Assess_Portfolio", "--tool-args-json", addresses, "--stored-auth-only"]),
    );
    expect(started.result.structuredContent.summary).toBeNull();
    expect(browser.opened).toHaveLength(2);
  });
});
