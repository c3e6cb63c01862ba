/// <reference types="node" />
// `npm run audit` end to end: the operator's command against the Worker under `wrangler dev`,
// with the real audit queue and D1. The operator's own actions (`npm run clients`, a refused
// secret) are the events it reads; the command is run through npm, as the README says.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTOSO, type CommandRun, runCommand, runScript, type Stack, startStack } from "./stack";

interface Event {
  id: string;
  at: string;
  kind: string;
  outcome: string;
  actor: string;
  tenantId?: string;
  userKey?: string;
  clientId?: string;
  reason?: string;
  details: Record<string, unknown>;
}

/** `npm run audit -- …args`, whatever its exit code. */
function npmAudit(args: string[], env: Record<string, string>): Promise<CommandRun> {
  return runCommand("npm", ["run", "--silent", "audit", "--", ...args], { PANDGATE_URL: "", ...env });
}

const jsonLines = (stdout: string): Event[] =>
  stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Event);

describe("npm run audit", () => {
  let stack: Stack;
  let secret: Record<string, string>;
  const clientIds: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    secret = { OPERATOR_SECRET: stack.operatorSecret };
    // The operator registers three clients: the events every test reads.
    for (const name of ["SIEM one", "SIEM two", "SIEM three"]) {
      const output = await runScript(
        "clients.mjs",
        [
          "create",
          "--name",
          name,
          "--redirect-uri",
          "https://siem.example/oauth/callback",
          "--tenant",
          CONTOSO,
          "--url",
          stack.url,
          "--json",
        ],
        secret,
      );
      clientIds.push((JSON.parse(output) as { clientId: string }).clientId);
    }
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** `npm run audit -- --json …args` until its events satisfy `until` (the queue delivers within seconds). */
  async function waitForEvents(args: string[], until: (events: Event[]) => boolean): Promise<Event[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const run = await npmAudit(["--url", stack.url, "--json", ...args], secret);
      expect(run.code, run.stderr).toBe(0);
      const events = jsonLines(run.stdout);
      if (until(events) || Date.now() > deadline) return events;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  it("lists the operator's actions as JSON Lines, newest first, and every page with --all", async () => {
    const events = await waitForEvents(["--kind", "operator.client_created"], (found) => found.length === 3);
    expect(events.map((e) => e.clientId)).toEqual([...clientIds].reverse());
    const [newest] = events;
    expect(newest).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      kind: "operator.client_created",
      outcome: "success",
      actor: "operator",
      tenantId: CONTOSO,
      clientId: clientIds[2],
      details: {
        clientName: "SIEM three",
        redirectHosts: ["siem.example"],
        ip: expect.any(String),
        route: "POST /admin/clients",
        count: 1,
      },
    });
    const times = events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // One event per request, following the cursor: the same three, in the same order.
    const paged = await npmAudit(["--url", stack.url, "--json", "--kind", "operator.client_created", "--all", "--limit", "1"], secret);
    expect(paged.code, paged.stderr).toBe(0);
    expect(jsonLines(paged.stdout)).toEqual(events);
    // Without --all, only the first page, and a note (on stderr, so the JSON stays clean) that more match.
    const first = await npmAudit(["--url", stack.url, "--json", "--kind", "operator.client_created", "--limit", "2"], secret);
    expect(jsonLines(first.stdout)).toEqual(events.slice(0, 2));
    expect(first.stderr).toContain("More events match than the 2 shown: add --all");

    // The reads were recorded too, with their filter.
    const reads = await waitForEvents(["--kind", "operator.audit_read", "--since", "10m"], (found) =>
      found.some((e) => e.details.filter === "kind=operator.client_created" && e.details.count === 2),
    );
    expect(reads.find((e) => e.details.count === 2)).toMatchObject({
      outcome: "success",
      actor: "operator",
      details: { route: "GET /admin/audit" },
    });
  });

  it("shows a readable table: time, kind, outcome, reason, tenant, user, client and the details", async () => {
    const [event] = await waitForEvents(
      ["--kind", "operator.client_created", "--limit", "1"],
      (found) => found[0]?.clientId === clientIds[2],
    );
    const run = await npmAudit(["--url", stack.url, "--kind", "operator.client_created", "--limit", "1"], secret);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]?.split(/ {2,}/)).toEqual(["TIME", "KIND", "OUTCOME", "REASON", "TENANT", "USER", "CLIENT", "DETAILS"]);
    // wrangler dev passes the loopback address as CF-Connecting-IP.
    const ip = event?.details.ip;
    expect(ip).toMatch(/^(127\.0\.0\.1|::1)$/);
    const details = `clientName="SIEM three" redirectHosts=siem.example ip=${ip} route="POST /admin/clients" count=1`;
    expect(lines[1]?.split(/ {2,}/)).toEqual([
      event?.at.replace("T", " ").replace(/\.\d{3}Z$/, "Z"),
      "operator.client_created",
      "success",
      "-",
      CONTOSO,
      "-",
      clientIds[2],
      details,
    ]);
    expect(run.stderr).toContain("More events match than the 1 shown");
  });

  it("records a wrong secret, and exits 1 on it without showing anything", async () => {
    const wrong = await npmAudit(["--url", stack.url], { OPERATOR_SECRET: "not-the-operator-secret" });
    expect(wrong).toEqual({
      code: 1,
      stdout: "",
      stderr: "The Worker refused the operator secret (401): OPERATOR_SECRET does not match the Worker's.\n",
    });
    const refused = await waitForEvents(["--kind", "operator.unauthorized"], (found) => found.length === 1);
    expect(refused).toEqual([
      expect.objectContaining({
        kind: "operator.unauthorized",
        outcome: "denied",
        actor: "operator",
        reason: "invalid_operator_secret",
        details: { ip: expect.stringMatching(/^(127\.0\.0\.1|::1)$/), route: "GET /admin/audit" },
      }),
    ]);
    expect(JSON.stringify(refused)).not.toContain("not-the-operator-secret");
  });

  it("exits 2 with the reason for wrong usage: a bad --kind (checked by the Worker), --since or --limit, an unknown option", async () => {
    const kind = await npmAudit(["--url", stack.url, "--kind", "token.stolen"], secret);
    expect(kind.code).toBe(2);
    expect(kind.stdout).toBe("");
    expect(kind.stderr).toMatch(
      /^The Worker refused the query: --kind: "token\.stolen" is neither an event kind nor a group; expected a group \(/,
    );
    expect(kind.stderr).toContain("usage: npm run audit");

    const limit = await npmAudit(["--url", stack.url, "--limit", "1000"], secret);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toMatch(
      /^The Worker refused the query: --limit: "1000" is not a page size; expected a whole number from 1 to 500/,
    );

    const since = await npmAudit(["--url", stack.url, "--since", "yesterday"], secret);
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/^--since takes a duration back from now \(30m, 24h, 7d, 2w\) or an ISO 8601 time/);

    const unknown = await npmAudit(["--url", stack.url, "--tenants", CONTOSO], secret);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^Unknown option '--tenants'/);

    const noSecret = await npmAudit(["--url", stack.url], { OPERATOR_SECRET: "" });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/^OPERATOR_SECRET is not set\./);
  });

  it("exits 1 when the Worker cannot be reached", async () => {
    const run = await npmAudit(["--url", "http://127.0.0.1:9"], secret);
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: "Could not reach http://127.0.0.1:9. Is the Worker running (npm run dev), or is --url right?\n",
    });
  });
});
