/// <reference types="node" />
// The official MCP conformance suite against pandgate's /mcp, signed in the way a client signs in:
// 0.1.16 (every server scenario) and the newest suite (0.2.0-alpha.12, every server scenario of
// the revisions pandgate speaks, 2025-11-25 and 2026-07-28, and the tasks extension's), one stack
// and one token for both. The proxy that adds the token, the sign-in and the runner are in
// ./conformance-harness.ts.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSESS_ARGS } from "./clients";
import {
  type AuthProxy,
  type Check,
  CONFORMANCE,
  type ConformanceRun,
  isFault,
  listedScenarios,
  readResults,
  runConformance,
  signInAsClient,
  startAuthProxy,
  summaryOf,
} from "./conformance-harness";
import { freePort, postToolCall, type Stack, startStack } from "./stack";

const BASELINE = path.join(import.meta.dirname, "conformance-expected-failures.yml");
const NEXT_BASELINE = path.join(import.meta.dirname, "conformance-next-expected-failures.yml");

let proxy: AuthProxy;
let stack: Stack;
let accessToken: string;

beforeAll(async () => {
  const workerPort = await freePort();
  proxy = await startAuthProxy(workerPort);
  // The suites are a burst client (both together send more than MCP_LIMITER's 240 requests a
  // minute per user), so /mcp is not rate limited here; the OAuth endpoints still are. The limiter
  // has tests of its own.
  stack = await startStack({ port: workerPort, publicUrl: proxy.origin, vars: { RATE_LIMITS: "oauth" } });
  const signedIn = await signInAsClient(stack);
  expect(signedIn.scope.split(" ")).toEqual(expect.arrayContaining(["mcp:read", "mcp:write"]));
  accessToken = signedIn.accessToken;
  proxy.setToken(accessToken);
});

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
});

/** Scenarios that apply to pandgate and must pass: ran, at least one check passed, nothing failed. */
const MUST_PASS = ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"];

type Tag = "fixture" | "capability" | "stateless";
type FixtureKind = "tool" | "prompt" | "completion" | "resource";

interface Entry {
  /** `scenario` or `scenario:check-id`, as in the file. */
  key: string;
  scenario: string;
  /** The check the entry names; none for a whole scenario. */
  check?: string;
  tag: string;
  comment: string;
  fixture?: { kind: FixtureKind; name: string };
}

/** The capability pandgate must lack for a fixture of this kind to fail with -32601 instead of "not found". */
const FIXTURE_CAPABILITY: Record<Exclude<FixtureKind, "tool">, string> = {
  prompt: "prompts",
  completion: "completions",
  resource: "resources",
};

/**
 * What the suite reports for a check whose earlier step called a fixture tool and got nothing back
 * (so the message cannot name the tool); accepted only for a tool that pandgate does not list.
 */
const NOTHING_TO_GO_ON = [
  /no task was created by the preceding step/,
  /^routing-task fixture from Check \d+ unavailable/,
  /^Expected InputRequiredResult with inputRequests and requestState$/,
  /^Prerequisite failed: could not get initial InputRequiredResult with requestState$/,
  /^Server returned JSON-RPC error instead of re-requesting via InputRequiredResult/,
];

/** What pandgate offers, as the checks of a baselined failure are judged against it. */
interface Offer {
  /** Tool names from the tools-list scenario of each run. */
  tools: Set<string>;
  /** The capabilities pandgate's initialize (2025-11-25) declares. */
  capabilities: Record<string, unknown>;
}

const faultMessage = (check: Check) => check.errorMessage ?? "";

/**
 * Whether a failing or warning check of a baseline entry failed the way its tag says. Anything
 * else (a 401, a 500, a timeout, a wrong answer of a method pandgate has) is a real fault.
 */
function failsAsTagged(entry: Entry, check: Check, offer: Offer): boolean {
  if (!isFault(check)) return true;
  const message = faultMessage(check);
  switch (entry.tag as Tag) {
    case "fixture": {
      const fixture = entry.fixture;
      if (!fixture) return false;
      if (fixture.kind === "tool") {
        if (offer.tools.has(fixture.name)) return false;
        const namesIt = message.includes(fixture.name) && /not found|does not list|error code -32602/.test(message);
        return namesIt || NOTHING_TO_GO_ON.some((pattern) => pattern.test(message));
      }
      if (!(FIXTURE_CAPABILITY[fixture.kind] in offer.capabilities)) return /Method not found/.test(message);
      const namesIt = message.includes(fixture.name) || (fixture.kind === "resource" && /-32602/.test(message));
      return namesIt && /not found|unknown/i.test(message);
    }
    case "capability":
      return /Method not found/.test(message);
    case "stateless":
      return (
        check.status === "WARNING" &&
        [
          "server-sse-multiple-streams-session",
          "server-sse-polling-session",
          "server-sse-priming-event",
          "server-sse-retry-field",
        ].includes(check.id)
      );
    default:
      return false;
  }
}

/**
 * The `server:` entries of a baseline file, in file order, with tag and fixture: `scenario` (0.1.16,
 * every check of the scenario) or `scenario:check-id` (0.2.0).
 */
async function readBaseline(file: string): Promise<Entry[]> {
  const text = await readFile(file, "utf8");
  const entries: Entry[] = [];
  let inServer = false;
  for (const line of text.split("\n")) {
    if (/^\S/.test(line) && !line.startsWith("#")) inServer = line.trim() === "server:";
    const entry = /^\s+-\s+(\S+)(?:\s+#\s*(.*))?$/.exec(line);
    if (!inServer || !entry?.[1]) continue;
    entries.push(parseEntry(entry[1], entry[2]?.trim() ?? ""));
  }
  return entries;
}

/** One entry: its key (`scenario` or `scenario:check-id`) and its comment, the tag and fixture read from it. */
function parseEntry(key: string, comment: string): Entry {
  const [scenario = "", check] = key.split(":");
  const fixture = /^fixture: (tool|prompt|completion|resource) ([^\s;,]+)/.exec(comment);
  return {
    key,
    scenario,
    ...(check !== undefined && { check }),
    tag: /^([\w-]+):/.exec(comment)?.[1] ?? "",
    comment,
    ...(fixture && { fixture: { kind: fixture[1] as FixtureKind, name: fixture[2] as string } }),
  };
}

/** Whether a baseline entry covers this check of this scenario. */
const covers = (entry: Entry, scenario: string, check: Check) =>
  entry.scenario === scenario && (entry.check === undefined || entry.check === check.id);

/** An entry starts its comment with a known tag and a reason; a fixture entry names its fixture. */
function expectWellTagged(entry: Entry): void {
  const tags: Tag[] = ["fixture", "capability", "stateless"];
  expect(tags, `${entry.key}: "${entry.comment}" must start with one of ${tags.join(", ")}`).toContain(entry.tag);
  expect(entry.comment.length, `${entry.key} needs a reason after its tag`).toBeGreaterThan(entry.tag.length + 10);
  if (entry.tag === "fixture") expect(entry.fixture, `${entry.key} names its fixture: tool|prompt|completion|resource NAME`).toBeDefined();
}

/** The capabilities pandgate declares to a 2025-11-25 client (one stateless initialize through the proxy). */
async function declaredCapabilities(mcpUrl: string): Promise<Record<string, unknown>> {
  const res = await fetch(mcpUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "pandgate conformance test", version: "1" } },
    }),
  });
  const text = await res.text();
  const body = text.trimStart().startsWith("{") ? text : (text.split("\n").find((line) => line.startsWith("data:")) ?? "").slice(5);
  const message = JSON.parse(body) as { result?: { capabilities?: Record<string, unknown> } };
  if (!message.result?.capabilities) throw new Error(`initialize answered ${res.status}: ${text.slice(0, 300)}`);
  return message.result.capabilities;
}

describe("MCP conformance suite 0.1.16, every server scenario, against /mcp", () => {
  let outputDir: string;
  let scenarios: string[];
  let run: ConformanceRun;
  let results: Map<string, Check[]>;
  let baseline: Entry[];
  let offer: Offer;

  beforeAll(async () => {
    outputDir = await mkdtemp(path.join(tmpdir(), "pandgate-conformance-"));
    scenarios = listedScenarios((await runConformance(CONFORMANCE.current, ["list", "--server"])).output);
    run = await runConformance(CONFORMANCE.current, [
      "server",
      "--url",
      stack.mcpUrl,
      "--suite",
      "all",
      "--expected-failures",
      BASELINE,
      "-o",
      outputDir,
    ]);
    results = await readResults(outputDir);
    baseline = await readBaseline(BASELINE);
    const tools = (results.get("tools-list")?.find((c) => c.id === "tools-list")?.details?.tools as string[]) ?? [];
    offer = { tools: new Set(tools), capabilities: await declaredCapabilities(stack.mcpUrl) };
  });

  afterAll(async () => {
    if (outputDir) await rm(outputDir, { recursive: true, force: true });
  });

  it("runs every server scenario; only baselined scenarios fail, and every baselined one still fails", () => {
    const summary = summaryOf(run);
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
    expect([...results.keys()].sort()).toEqual([...scenarios].sort());
    expect(
      baseline.every((entry) => entry.check === undefined),
      "0.1.16 matches whole scenarios only",
    ).toBe(true);
    const listed = new Set(baseline.map((entry) => entry.scenario));
    const unexpected = [...results].filter(([name, checks]) => checks.some(isFault) && !listed.has(name)).map(([name]) => name);
    expect(unexpected, summary).toEqual([]);
    const stale = [...listed].filter((name) => !results.get(name)?.some(isFault));
    expect(stale, "baselined scenarios that no longer fail (or do not exist): remove them").toEqual([]);
    expect(run.code, summary).toBe(0);
    expect(summary).toContain("Baseline check passed");
  });

  it("every baseline entry gives its reason, and its scenario fails only for that reason", () => {
    for (const entry of baseline) {
      expectWellTagged(entry);
      const other = (results.get(entry.scenario) ?? []).filter((check) => isFault(check) && !failsAsTagged(entry, check, offer));
      expect(other, `${entry.key} (${entry.tag}) failed otherwise`).toEqual([]);
    }
  });

  it("the scenarios that apply pass: initialize, ping, tools/list, DNS rebinding protection", () => {
    for (const name of MUST_PASS) {
      const checks = results.get(name) ?? [];
      expect(checks.filter(isFault), name).toEqual([]);
      expect(
        checks.some((check) => check.status === "SUCCESS"),
        `${name} passed a check`,
      ).toBe(true);
      expect(baseline.some((entry) => entry.scenario === name)).toBe(false);
    }
    // The suite saw pandgate's real catalog, write tools included (the token has mcp:write).
    const tools = results.get("tools-list")?.[0]?.details?.tools as string[];
    expect(tools).toEqual(expect.arrayContaining(["Get_Server_Info", "Quick_Assess_Property", "Delete_Property_Assessment"]));
    // The foreign Host and Origin reached the Worker unchanged, and the Worker refused them.
    const rejected = results.get("dns-rebinding-protection")?.find((c) => c.id === "localhost-host-rebinding-rejected");
    expect(rejected?.details?.statusCode).toBe(403);
    expect(proxy.seen).toContainEqual({ method: "POST", host: "evil.example.com", origin: "http://evil.example.com", status: 403 });
    expect(proxy.seen).toContainEqual({ method: "POST", host: new URL(proxy.origin).host, origin: proxy.origin, status: 200 });
  });

  it("stateless streams: concurrent POSTs each get their own answer (what server-sse-multiple-streams checks after its session step)", async () => {
    const answers = await Promise.all(
      [1, 2, 3].map(async (id) => {
        const res = await fetch(stack.mcpUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "text/event-stream, application/json",
            "mcp-protocol-version": "2025-11-25",
          },
          body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", params: {} }),
        });
        const text = await res.text();
        // An SSE answer carries the response as one `data:` line of its own event.
        const bodies = res.headers.get("content-type")?.includes("text/event-stream")
          ? text
              .split("\n")
              .filter((line) => line.startsWith("data:"))
              .map((line) => line.slice(5).trim())
          : [text];
        const messages = bodies.map((body) => JSON.parse(body) as { id?: number; result?: { tools: unknown[] } });
        return { id, status: res.status, message: messages.find((m) => m.id === id) };
      }),
    );
    for (const { id, status, message } of answers) {
      expect(status).toBe(200);
      expect(message?.result?.tools.length, `answer to request ${id}`).toBeGreaterThan(0);
    }
  });
});

// ---- the newest suite ----

/**
 * Options of every run of the newest suite: the baseline, and a per-scenario timeout of 2 minutes
 * rather than the suite's 30 s, since server-stateless alone sends ~40 requests and this machine
 * may be busy.
 */
const NEXT_OPTIONS = ["--expected-failures", NEXT_BASELINE, "--timeout", "120000"];
/** The revisions pandgate speaks; the newest suite runs every server scenario of each, at its wire. */
const REVISIONS = ["2025-11-25", "2026-07-28"] as const;

/** One run of the newest suite: a revision's `--suite all`, or one extension scenario. */
interface NextRun {
  label: string;
  expected: string[];
  run: ConformanceRun;
  results: Map<string, Check[]>;
}

describe("MCP conformance suite 0.2.0-alpha.12 (newest), 2025-11-25, 2026-07-28 and the tasks extension, against /mcp", () => {
  let outputDir: string;
  const runs: NextRun[] = [];
  let baseline: Entry[];
  let offer: Offer;

  beforeAll(async () => {
    outputDir = await mkdtemp(path.join(tmpdir(), "pandgate-conformance-next-"));
    // A saved assessment, so that once pandgate lists resources the suite has one to list and read
    // (caching's resources/read check reads the first listed resource).
    const saved = await postToolCall(stack, accessToken, 1, "Quick_Assess_Property", ASSESS_ARGS);
    expect(saved.message.error, JSON.stringify(saved.message)).toBeUndefined();

    for (const revision of REVISIONS) {
      const expected = listedScenarios((await runConformance(CONFORMANCE.next, ["list", "--server", "--spec-version", revision])).output);
      const dir = path.join(outputDir, revision);
      const run = await runConformance(
        CONFORMANCE.next,
        ["server", "--url", stack.mcpUrl, "--suite", "all", "--spec-version", revision, ...NEXT_OPTIONS, "-o", dir],
        600_000,
      );
      runs.push({ label: `--spec-version ${revision}`, expected, run, results: await readResults(dir) });
    }
    // Extension scenarios are on no revision's timeline (`--spec-version` leaves them out), so each
    // runs by name, at the 2026-07-28 wire. The skills extension's are left out: pandgate does not
    // declare it, and they skip every check then.
    const all = (await runConformance(CONFORMANCE.next, ["list", "--server"])).output;
    const tasks = [...all.matchAll(/^\s+- (tasks-\S+) \[extension\]$/gm)].map((m) => m[1] as string);
    for (const scenario of tasks) {
      const dir = path.join(outputDir, scenario);
      const run = await runConformance(CONFORMANCE.next, [
        "server",
        "--url",
        stack.mcpUrl,
        "--scenario",
        scenario,
        ...NEXT_OPTIONS,
        "-o",
        dir,
      ]);
      runs.push({ label: `--scenario ${scenario}`, expected: [scenario], run, results: await readResults(dir) });
    }

    baseline = await readBaseline(NEXT_BASELINE);
    const tools = runs.flatMap((r) => (r.results.get("tools-list")?.find((c) => c.id === "tools-list")?.details?.tools as string[]) ?? []);
    offer = { tools: new Set(tools), capabilities: await declaredCapabilities(stack.mcpUrl) };
  }, 1_800_000);

  afterAll(async () => {
    if (outputDir) await rm(outputDir, { recursive: true, force: true });
  });

  it("runs every server scenario of both revisions and of the tasks extension; each run passes its baseline check", () => {
    expect(runs[0]?.expected.length).toBeGreaterThanOrEqual(30);
    expect(runs[1]?.expected.length).toBeGreaterThanOrEqual(35);
    expect(runs.filter((r) => r.label.startsWith("--scenario tasks-")).length).toBeGreaterThanOrEqual(10);
    expect(runs[1]?.expected).toEqual(
      expect.arrayContaining(["server-stateless", "caching", "sep-2164-resource-not-found", "http-header-validation"]),
    );
    for (const { label, expected, run, results } of runs) {
      expect([...results.keys()].sort(), label).toEqual([...expected].sort());
      expect(run.code, `${label}\n${summaryOf(run)}`).toBe(0);
      expect(run.output, label).toContain("Baseline check passed");
    }
  });

  it("only baselined checks fail, and every baselined check still fails in a run that has it", () => {
    const keys = new Set(baseline.map((entry) => entry.key));
    expect(keys.size, "each entry once").toBe(baseline.length);
    const unexpected: string[] = [];
    const failing = new Set<string>();
    for (const { label, results } of runs) {
      for (const [scenario, checks] of results) {
        for (const check of checks.filter(isFault)) {
          const key = `${scenario}:${check.id}`;
          failing.add(key);
          if (!keys.has(key)) unexpected.push(`${label} ${key}: ${faultMessage(check)}`);
          if (!keys.has(key) && check.id === "no-checks-saved") unexpected.push(runs.find((r) => r.label === label)?.run.output ?? "");
        }
      }
    }
    expect(unexpected).toEqual([]);
    const stale = baseline.filter((entry) => !failing.has(entry.key)).map((entry) => entry.key);
    expect(stale, "baselined checks that no longer fail (or do not exist): remove them").toEqual([]);
  });

  it("every baseline entry gives its reason, and each of its failures is of that kind", () => {
    for (const entry of baseline) {
      expectWellTagged(entry);
      for (const { label, results } of runs) {
        const faults = (results.get(entry.scenario) ?? []).filter((check) => covers(entry, entry.scenario, check) && isFault(check));
        const other = faults.filter((check) => !failsAsTagged(entry, check, offer));
        expect(other, `${label} ${entry.key} (${entry.tag}) failed otherwise`).toEqual([]);
      }
    }
  });

  it("resources, prompts, completion, caching, resource-not-found and tasks negotiation: nothing baselined but their fixtures", () => {
    const family = /^(resources-|prompts-|completion-|caching$|sep-2164-|tasks-capability-negotiation$)/;
    const allowed: Record<string, string[]> = {
      // Subscriptions are a capability pandgate does not offer (2025-11-25 scenarios only).
      "resources-subscribe": ["capability"],
      "resources-unsubscribe": ["capability"],
    };
    for (const entry of baseline.filter((e) => family.test(e.scenario))) {
      expect(allowed[entry.scenario] ?? ["fixture"], entry.key).toContain(entry.tag);
    }
  });

  it("the scenarios that apply pass with real checks: initialize, ping, tools/list, DNS rebinding, stateless, headers, streams", () => {
    const mustPass: [label: string, scenario: string][] = [
      ["--spec-version 2025-11-25", "server-initialize"],
      ["--spec-version 2025-11-25", "ping"],
      ["--spec-version 2025-11-25", "tools-list"],
      ["--spec-version 2025-11-25", "dns-rebinding-protection"],
      ["--spec-version 2026-07-28", "tools-list"],
      ["--spec-version 2026-07-28", "dns-rebinding-protection"],
      ["--spec-version 2026-07-28", "http-header-validation"],
      // SEP-2243 custom headers: Get_Property_Data's addressId is declared `x-mcp-header: Address-Id`.
      ["--spec-version 2026-07-28", "http-custom-header-server-validation"],
      ["--spec-version 2026-07-28", "server-sse-multiple-streams"],
      ["--spec-version 2026-07-28", "input-required-result-unsupported-methods"],
      ["--spec-version 2026-07-28", "input-required-result-validate-input"],
    ];
    for (const [label, scenario] of mustPass) {
      const checks = runs.find((r) => r.label === label)?.results.get(scenario) ?? [];
      expect(checks.filter(isFault), `${label} ${scenario}`).toEqual([]);
      const passed = checks.filter((check) => check.status === "SUCCESS" && check.id !== "wire-schema-valid");
      expect(passed.length, `${label} ${scenario} passed a check of its own`).toBeGreaterThan(0);
      const listed = baseline.filter((entry) => checks.some((check) => covers(entry, scenario, check)));
      expect(listed, `${label} ${scenario}`).toEqual([]);
    }
    // The custom-header scenario exercised pandgate's own declaration: Get_Property_Data's addressId
    // (valid and broken Base64 sentinels, literal values, a missing header).
    const custom = runs.find((r) => r.label === "--spec-version 2026-07-28")?.results.get("http-custom-header-server-validation") ?? [];
    expect(custom.filter((check) => check.status === "SUCCESS").length).toBeGreaterThanOrEqual(5);
    const exercised = custom.filter((check) => check.details?.toolName !== undefined);
    expect(exercised.length).toBeGreaterThanOrEqual(5);
    expect(new Set(exercised.map((check) => `${check.details?.toolName}.${check.details?.paramName}`))).toEqual(
      new Set(["Get_Property_Data.addressId"]),
    );
    // server-stateless: everything but the four checks of the suite's diagnostic tools passes.
    const stateless = runs.find((r) => r.label === "--spec-version 2026-07-28")?.results.get("server-stateless") ?? [];
    expect(stateless.filter((check) => check.status === "SUCCESS").length).toBeGreaterThanOrEqual(20);
    // No message pandgate sent broke the schema of the revision it was sent under.
    for (const { label, results } of runs) {
      for (const [scenario, checks] of results) {
        for (const check of checks.filter((c) => c.id === "wire-schema-valid"))
          expect(check.status, `${label} ${scenario}`).toBe("SUCCESS");
      }
    }
  });
});

describe("the baseline rules judge a failure by its tag, before and after pandgate offers prompts, completions and resources", () => {
  const failure = (errorMessage: string, status: Check["status"] = "FAILURE"): Check => ({ id: "c", status, errorMessage });
  const entry = (comment: string): Entry => parseEntry("s:c", comment);

  const before: Offer = { tools: new Set(["Get_Server_Info"]), capabilities: { tools: {} } };
  const after: Offer = { tools: before.tools, capabilities: { tools: {}, prompts: {}, completions: {}, resources: {} } };

  it("a tool fixture: pandgate does not list it, and the failure names it (or is the suite's nothing-to-go-on message)", () => {
    const tool = entry("fixture: tool slow_compute");
    expect(failsAsTagged(tool, failure("Tool slow_compute not found"), before)).toBe(true);
    expect(failsAsTagged(tool, failure("Not testable: no task was created by the preceding step, so …"), before)).toBe(true);
    expect(failsAsTagged(tool, failure("HTTP 500: Internal error"), before)).toBe(false);
    expect(failsAsTagged(entry("fixture: tool Get_Server_Info"), failure("Tool Get_Server_Info not found"), before)).toBe(false);
  });

  it("a prompt, completion or resource fixture: -32601 only while the capability is missing, then not found naming it", () => {
    const prompt = entry("fixture: prompt test_simple_prompt");
    expect(failsAsTagged(prompt, failure("Failed: MCP error -32601: Method not found"), before)).toBe(true);
    expect(failsAsTagged(prompt, failure("Failed: MCP error -32601: Method not found"), after)).toBe(false);
    expect(failsAsTagged(prompt, failure("Failed: MCP error -32602: Prompt test_simple_prompt not found"), after)).toBe(true);
    expect(failsAsTagged(prompt, failure("Failed: MCP error -32603: Internal error"), after)).toBe(false);
    const completion = entry("fixture: completion test_prompt_with_arguments");
    expect(failsAsTagged(completion, failure("Failed: Method not found"), before)).toBe(true);
    expect(failsAsTagged(completion, failure("Failed: MCP error -32602: Prompt test_prompt_with_arguments not found"), after)).toBe(true);
    const resource = entry("fixture: resource test://static-text");
    expect(failsAsTagged(resource, failure("Failed: MCP error -32602: Resource not found"), after)).toBe(true);
    expect(failsAsTagged(resource, failure("Failed: Method not found"), after)).toBe(false);
  });

  it("capability and stateless entries accept only their own kind of failure", () => {
    expect(failsAsTagged(entry("capability: no logging"), failure("Failed: Method not found"), after)).toBe(true);
    expect(failsAsTagged(entry("capability: no logging"), failure("HTTP 401"), after)).toBe(false);
    expect(
      failsAsTagged(
        entry("capability: no x-mcp-header"),
        failure("Not testable: server exposes no tool with x-mcp-header annotations"),
        after,
      ),
    ).toBe(false);
    const stateless = entry("stateless: no session");
    expect(failsAsTagged(stateless, { id: "server-sse-polling-session", status: "WARNING" }, after)).toBe(true);
    expect(failsAsTagged(stateless, { id: "server-sse-polling-session", status: "FAILURE", errorMessage: "HTTP 500" }, after)).toBe(false);
    expect(failsAsTagged(entry("because: reasons"), failure("Failed: Method not found"), after)).toBe(false);
  });
});
