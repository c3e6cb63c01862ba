import { exports } from "cloudflare:workers";
import { expect, vi } from "vitest";
import type { Identity } from "../../src/auth/identity";
import {
  answerMarkdown,
  call,
  caseTenant,
  type deterministicIds,
  expectParity,
  FROZEN_AT,
  freezeClock,
  type GoldenCall,
  normalise,
  type Session,
  session,
  thawClock,
  until,
} from "./harness";

/** One golden case: an address and why it is in the set. */
export interface GoldenCase {
  slug: string;
  title: string;
  /** What the case stands for, written at the top of each of its files. */
  why: string;
  addressId: string;
  /** The free text Search_Addresses is asked. */
  query: string;
  /** Postcode and house number for Get_Addresses_for_Postcode; null when the address has no postcode. */
  postcode: { postcode: string; houseNumber: number } | null;
}

type Ids = ReturnType<typeof deterministicIds>;

/** The order `runCase` calls the tools in; a file's number is its tool's place here, whether or not a case skips one. */
export const TOOL_ORDER = [
  "Get_Server_Info",
  "Search_Addresses",
  "Get_Addresses_for_Postcode",
  "Get_Property_Data",
  "Get_Property_Energy_Label",
  "Analyze_Property_Location",
  "Calculate_Rent_Points",
  "Quick_Assess_Property",
  "Get_Property_Assessments",
  "Get_Assessed_Properties",
  "Get_Tenant_Assessments",
  "Create_Portfolio_Upload",
  "Assess_Portfolio",
  "Get_Portfolio_Status",
  "Get_Portfolio_Result",
  "Cancel_Portfolio",
  "Delete_Property_Assessment",
  "Get_Audit_Log",
];

/**
 * Every tool on one address, in the order a user would meet them, as the case's own user (an
 * Admin of the case's own tenant, so the tenant views hold only this case): lookups, a saved
 * assessment and its views, a one-address portfolio job and its views, deleting the assessment,
 * and the audit log of those calls (read by a second Admin of the tenant, so its own polling is
 * not in it). Returns the calls in order.
 */
export async function runCase(c: GoldenCase, ids: Ids): Promise<{ calls: GoldenCall[]; sessions: Session[] }> {
  const tenantId = caseTenant(c.slug);
  const person = (userKey: string, displayName: string): Identity => ({
    userKey,
    tenantId,
    displayName,
    email: `${userKey}@golden.example`,
    roles: ["Admin"],
    idp: "entra",
  });
  ids.scope(`${c.slug}/sign-in`);
  const user = await session(person(`golden-${c.slug}`, "Golden Valuer"));
  const auditor = await session(person(`golden-${c.slug}-auditor`, "Golden Auditor"));
  freezeClock();
  const calls: GoldenCall[] = [];
  const run = async (tool: string, args: Record<string, unknown>, options: { progress?: boolean } = {}, as: Session = user) => {
    ids.scope(`${c.slug}/${calls.length + 1}/${tool}`);
    // One minute per step, so times and the audit log's newest-first order read as the steps did.
    vi.setSystemTime(FROZEN_AT.getTime() + calls.length * 60_000);
    const done = await call(as, tool, args, options);
    calls.push(done);
    return done;
  };
  try {
    await run("Get_Server_Info", {});
    await run("Search_Addresses", { query: c.query });
    if (c.postcode) await run("Get_Addresses_for_Postcode", { postcode: c.postcode.postcode, houseNumber: c.postcode.houseNumber });
    const address = { addressId: c.addressId };
    await run("Get_Property_Data", address);
    await run("Get_Property_Energy_Label", address);
    await run("Analyze_Property_Location", address);
    await run("Calculate_Rent_Points", { ...address, whatIfLabel: "A" });
    const assessed = await run("Quick_Assess_Property", address);
    const assessmentId = (assessed.structured as { assessmentId?: string } | null)?.assessmentId;
    await run("Get_Property_Assessments", address);
    await run("Get_Assessed_Properties", {});
    await run("Get_Tenant_Assessments", {});
    // The portfolio as a housing corporation sends it: a one-row spreadsheet through an upload link.
    const upload = await run("Create_Portfolio_Upload", {});
    const { uploadId, uploadUrl } = (upload.structured ?? {}) as { uploadId?: string; uploadUrl?: string };
    if (uploadId && uploadUrl) {
      // The link's secret is random (getRandomValues, which no clock or id mock fixes): pinned as <secret>.
      const secret = uploadUrl.split("/").at(-1) as string;
      upload.text = upload.text.split(secret).join("<secret>");
      upload.structured = JSON.parse(JSON.stringify(upload.structured).split(secret).join("<secret>"));
      upload.others = JSON.parse(JSON.stringify(upload.others).split(secret).join("<secret>"));
      const sent = await exports.default.fetch(uploadUrl, { method: "PUT", body: `addressId\r\n${c.addressId}\r\n` });
      expect(sent.status, await sent.clone().text()).toBe(200);
    }
    const portfolio = await run("Assess_Portfolio", uploadId ? { uploadId } : { addresses: [address] }, { progress: true });
    const jobId = (portfolio.structured as { jobId?: string } | null)?.jobId;
    if (jobId) {
      await run("Get_Portfolio_Status", { jobId });
      await run("Get_Portfolio_Result", { jobId });
      await run("Cancel_Portfolio", { jobId });
    }
    if (assessmentId) await run("Delete_Property_Assessment", { assessmentId });
    const made = calls.length;
    // The audit trail arrives through the queue: wait until every call above is in it.
    const filter = { userKey: user.identity.userKey, kind: "mcp.tool_call", limit: 50 };
    ids.scope("audit-poll");
    await until(
      `${made} audit events of ${c.slug}`,
      () => call(auditor, "Get_Audit_Log", filter),
      (r) => ((r.structured as { events?: unknown[] } | null)?.events?.length ?? 0) >= made,
    );
    await run("Get_Audit_Log", filter, {}, auditor);
  } finally {
    thawClock();
  }
  return { calls, sessions: [user, auditor] };
}

/**
 * Pins every call of a case as `answers/<set>/<case>/<NN>-<tool>.md` and checks text parity; soft
 * assertions, so one run shows every difference.
 */
export async function pinCase(set: string, c: GoldenCase, ids: Ids): Promise<GoldenCall[]> {
  const { calls, sessions } = await runCase(c, ids);
  // Every tool, each once (the postcode listing only where there is a postcode), none failing.
  expect(calls.map((x) => x.tool)).toEqual(TOOL_ORDER.filter((t) => c.postcode || t !== "Get_Addresses_for_Postcode"));
  expect(calls.filter((x) => x.isError).map((x) => `${x.tool}: ${x.text}`)).toEqual([]);
  for (const done of calls) {
    const file = `./answers/${set}/${c.slug}/${String(TOOL_ORDER.indexOf(done.tool) + 1).padStart(2, "0")}-${done.tool}.md`;
    const fixed = {
      ...done,
      text: normalise(done.text, sessions),
      others: JSON.parse(normalise(JSON.stringify(done.others), sessions)),
      structured: JSON.parse(normalise(JSON.stringify(done.structured), sessions)),
    };
    await expect.soft(answerMarkdown(c.title, c.why, fixed)).toMatchFileSnapshot(file);
    expectParity(done);
  }
  return calls;
}
