/// <reference types="node" />
// No audit event is lost to a crash: a burst of tool calls under `wrangler dev`, then `kill -9` of
// wrangler dev's process group right after the last answer, then a restart on the same local
// state; every call's event is found in D1 (read through /admin/audit, as `npm run audit` does).
// Before, the events went to the queue under waitUntil, and 0 of 30 survived such a crash.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANNA, postToolCall, type Stack, signInForToken, startStack } from "./stack";

interface Event {
  id: string;
  kind: string;
  outcome: string;
  userKey?: string;
  clientId?: string;
  details: Record<string, unknown>;
}

/** A seeded address's BAG id (the one test/e2e/clients.ts's SEED_ADDRESS names), from a first call. */
async function seededAddressId(stack: Stack, token: string): Promise<string> {
  const found = await postToolCall(stack, token, 0, "Get_Property_Data", { postcode: "3817AC", houseNumber: 1 });
  const structured = (found.message.result as { structuredContent?: { address?: { addressId?: string } } } | undefined)?.structuredContent;
  const id = structured?.address?.addressId;
  if (!id) throw new Error(`no seeded address at 3817AC 1: ${JSON.stringify(found.message).slice(0, 400)}`);
  return id;
}

/** Every event of `kind` the operator API lists, following the cursor. */
async function operatorEvents(stack: Stack, query: Record<string, string>): Promise<Event[]> {
  const events: Event[] = [];
  let cursor: string | undefined;
  do {
    const params = new URLSearchParams({ ...query, limit: "500", ...(cursor && { cursor }) });
    const res = await fetch(`${stack.url}/admin/audit?${params}`, { headers: { authorization: `Bearer ${stack.operatorSecret}` } });
    const body = (await res.json()) as { events: Event[]; nextCursor?: string };
    if (res.status !== 200) throw new Error(`/admin/audit answered ${res.status}: ${JSON.stringify(body)}`);
    events.push(...body.events);
    cursor = body.nextCursor;
  } while (cursor);
  return events;
}

describe("audit events and a crash", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ processGroup: true });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("keeps every tool call's event (and the sign-in's) through kill -9 right after the answers and a restart", {
    timeout: 240_000,
  }, async () => {
    const { accessToken, clientId } = await signInForToken(stack, ANNA);
    const addressId = await seededAddressId(stack, accessToken);

    // The burst: 30 read calls, 6 at a time, each answered with its result.
    const requestIds: string[] = [];
    for (let wave = 0; wave < 5; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => postToolCall(stack, accessToken, wave * 6 + i + 1, "Get_Property_Data", { addressId })),
      );
      for (const answer of answers) {
        expect(answer.message.result, JSON.stringify(answer.message).slice(0, 300)).toBeDefined();
        requestIds.push(answer.requestId);
      }
    }
    // Right after the last answer: kill -9 of wrangler dev and its workerd, well inside the second
    // the agent waits before forwarding its events to D1.
    await stack.crash();
    await stack.restart();

    // Wait for the events (the restarted agent's alarm forwards what its storage kept), generously.
    const userKey = `oidc.`; // the dev IdP's users sign in as OIDC identities
    const deadline = Date.now() + 120_000;
    let calls: Event[] = [];
    for (;;) {
      calls = (await operatorEvents(stack, { kind: "mcp.tool_call" })).filter((e) => e.clientId === clientId);
      const found = new Set(calls.map((e) => e.details.requestId));
      if (requestIds.every((id) => found.has(id)) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const burst = calls.filter((e) => requestIds.includes(e.details.requestId as string));
    expect(burst.map((e) => e.details.requestId).sort()).toEqual([...requestIds].sort());
    // Each once, each whole.
    expect(new Set(burst.map((e) => e.id)).size).toBe(30);
    for (const event of burst) {
      expect(event).toMatchObject({
        kind: "mcp.tool_call",
        outcome: "success",
        details: { tool: "Get_Property_Data", addressId },
      });
      expect(event.userKey?.startsWith(userKey)).toBe(true);
    }
    // The Worker's own events of the sign-in were stored before their answers left.
    const issued = await operatorEvents(stack, { kind: "token.issued" });
    expect(issued.filter((e) => e.clientId === clientId)).toHaveLength(1);
    const registered = await operatorEvents(stack, { kind: "client.registered" });
    expect(registered.filter((e) => e.clientId === clientId)).toHaveLength(1);
  });
});
