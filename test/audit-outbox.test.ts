import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuditEvent } from "../src/audit/events";
import { AuditOutbox, OUTBOX_BATCH, outboxRetryDelay } from "../src/audit/outbox";
import { AuditStore } from "../src/audit/store";
import type { PandgateAgent } from "../src/mcp/agent";
import { waitForAudit } from "./helpers/audit";
import { LEGACY_HEADERS, postMcp, readMessages } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";

/**
 * Tool-call audit events are written to the user's agent's storage (the outbox) before the
 * answer leaves, and the agent's alarm forwards them to D1 in batches. A send that fails keeps
 * every event it carried; the retry delivers each event once, also when a batch is sent twice.
 */

afterEach(() => vi.restoreAllMocks());

const TIMEOUT = 60_000;

function agentStub(name = `outbox-test-${crypto.randomUUID()}`) {
  return env.MCP_AGENT.getByName(name);
}

function toolCall(userKey: string, n: number) {
  return {
    kind: "mcp.tool_call",
    outcome: "success",
    actor: "user",
    tenantId: "outbox-tenant",
    userKey,
    details: { tool: "Get_Server_Info", durationMs: n },
  } as const;
}

async function outboxSize(stub: DurableObjectStub<PandgateAgent>): Promise<number> {
  return runInDurableObject(stub, (_agent, state) => {
    const exists = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'audit_outbox'").toArray().length > 0;
    return exists ? (state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM audit_outbox").one().n as number) : 0;
  });
}

async function storedCounts(ids: string[]): Promise<number[]> {
  const { results } = await env.DB.prepare(
    `SELECT id, count(*) AS n FROM audit_events WHERE id IN (${ids.map(() => "?").join(",")}) GROUP BY id ORDER BY id`,
  )
    .bind(...ids)
    .all<{ id: string; n: number }>();
  return results.map((row) => row.n);
}

describe("the outbox", () => {
  it("keeps every event of a send that failed, and delivers each once on the next try, oldest first", async () => {
    const stub = agentStub();
    const { events, afterFailure, sent, afterSuccess, again } = await runInDurableObject(stub, async (_agent, state) => {
      const outbox = new AuditOutbox(state.storage.sql);
      const events = Array.from({ length: OUTBOX_BATCH + 5 }, (_, n) => outbox.add(toolCall("outbox-user", n)) as AuditEvent);
      // The first batch goes through, the second fails: the first is gone, the second and its events stay.
      let calls = 0;
      const failing = outbox.forward(async () => {
        calls += 1;
        if (calls === 2) throw new Error("D1 is unavailable");
      });
      await expect(failing).rejects.toThrow("D1 is unavailable");
      const afterFailure = outbox.size();
      const sent: AuditEvent[][] = [];
      const forwarded = await outbox.forward(async (batch) => {
        sent.push([...batch]);
      });
      expect(forwarded).toBe(5);
      const afterSuccess = outbox.size();
      const again = await outbox.forward(async (batch) => {
        sent.push([...batch]);
      });
      return { events, afterFailure, sent, afterSuccess, again };
    });
    expect(afterFailure).toBe(5);
    expect(sent.map((batch) => batch.map((e) => e.id))).toEqual([events.slice(OUTBOX_BATCH).map((e) => e.id)]);
    expect(afterSuccess).toBe(0);
    expect(again).toBe(0);
  });

  it("refuses an event outside the closed schema instead of storing it", async () => {
    const stub = agentStub();
    const kept = await runInDurableObject(stub, (_agent, state) => {
      const outbox = new AuditOutbox(state.storage.sql);
      const refused = outbox.add({ ...toolCall("u", 1), details: { accessToken: "secret" } as never });
      return { refused, size: outbox.size() };
    });
    expect(kept).toEqual({ refused: undefined, size: 0 });
  });

  it("waits longer after each failure: 1 s, 2 s, 4 s … up to five minutes", () => {
    expect([1, 2, 3, 4].map(outboxRetryDelay)).toEqual([1000, 2000, 4000, 8000]);
    expect(outboxRetryDelay(30)).toBe(300_000);
  });
});

describe("a tool call's audit event", () => {
  it(
    "is in the agent's storage when the answer arrives, survives a D1 outage there, and reaches D1 once when D1 is back",
    async () => {
      const identity = newIdentity();
      const { accessToken } = await mintToken(identity, ["mcp:read"]);
      const stub = agentStub(identity.userKey);
      const errors = vi.spyOn(console, "error");
      await env.DB.exec("ALTER TABLE audit_events RENAME TO audit_events_offline");
      const requestIds: string[] = [];
      try {
        for (let i = 0; i < 3; i++) {
          const res = await postMcp(
            accessToken,
            // A tool the agent serves (it reads the user's own assessments); the Worker serves stateless ones itself.
            { jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "Get_Assessed_Properties", arguments: {} } },
            LEGACY_HEADERS,
          );
          expect(res.status).toBe(200);
          requestIds.push(res.headers.get("x-request-id") ?? "");
          expect((await readMessages(res))[0]?.result).toBeDefined();
        }
        // Answered, so stored: all three are in the outbox before any alarm could forward them.
        expect(await outboxSize(stub)).toBe(3);
        // The alarm tries, D1 refuses: the events stay.
        const deadline = Date.now() + 30_000;
        const failed = () => errors.mock.calls.some(([line]) => String(line).includes('"audit_forward_failed"'));
        while (!failed() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(failed()).toBe(true);
        expect(await outboxSize(stub)).toBe(3);
        // An eviction on top (a restart): the storage keeps them, the alarm stays set.
        await evictDurableObject(stub);
        expect(await outboxSize(stub)).toBe(3);
      } finally {
        await env.DB.exec("ALTER TABLE audit_events_offline RENAME TO audit_events");
      }
      const events = await waitForAudit(
        { userKey: identity.userKey, kind: "mcp.tool_call" },
        (found) => found.length >= 3,
        TIMEOUT - 20_000,
      );
      expect(events.map((e) => e.details.requestId).sort()).toEqual([...requestIds].sort());
      expect(events.every((e) => e.outcome === "success" && e.details.tool === "Get_Assessed_Properties")).toBe(true);
      expect(await outboxSize(stub)).toBe(0);
      // Sent again (a forward cut off after D1 took it, before the outbox row was deleted): stored once.
      await new AuditStore(env.DB).insert(events);
      expect(await storedCounts(events.map((e) => e.id))).toEqual([1, 1, 1]);
    },
    TIMEOUT,
  );
});
