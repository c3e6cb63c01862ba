/// <reference types="node" />
// Large portfolio jobs under `wrangler dev`, for test/e2e/portfolio-crash.e2e.test.ts and
// bench/portfolio.bench.ts: the seed's address ids, a job started through the real MCP endpoint,
// its status polled, and D1 read with `wrangler d1 execute --local` on the stack's state.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { postToolCall, ROOT, runCommand, type Stack } from "./stack";

/** Settings a stack needs for a job of tens of thousands of addresses typed into one tool call (about 2 MB). */
export const LARGE_JOB_VARS = { MAX_REQUEST_BYTES: String(4 * 1024 * 1024) };

export interface SeedAddress {
  id: string;
  postcode: string;
  houseNumber: number;
  houseLetter: string | null;
  addition: string | null;
}

/** Every address of the synthetic seed (seed/seed.sql), in the seed's order. */
export async function seedAddresses(): Promise<SeedAddress[]> {
  const sql = await readFile(path.join(ROOT, "seed", "seed.sql"), "utf8");
  const out: SeedAddress[] = [];
  for (const line of sql.split("\n")) {
    if (!line.includes("INSERT INTO addresses")) continue;
    const tuple = /\('(\d{16})','\d{16}',\d,(?:'([0-9A-Z]{6})'|NULL),(\d+),(?:'([^']*)'|NULL),(?:'([^']*)'|NULL),/g;
    for (const m of line.matchAll(tuple)) {
      if (!m[2]) continue;
      out.push({ id: m[1] as string, postcode: m[2], houseNumber: Number(m[3]), houseLetter: m[4] ?? null, addition: m[5] ?? null });
    }
  }
  return out;
}

/**
 * A 50 000-item job from the seed: every address by its BAG id, the same addresses again by
 * postcode and number (repeats the job finds when it runs), and BAG ids of no address (failures)
 * to fill up to `total`.
 */
export async function largeJob(
  total = 50_000,
): Promise<{ addresses: Array<Record<string, unknown>>; byId: number; byPlace: number; missing: number }> {
  const seed = await seedAddresses();
  const byId = seed.map((a) => ({ addressId: a.id }));
  const byPlace = seed.slice(0, Math.max(0, total - byId.length)).map((a) => ({
    postcode: a.postcode,
    houseNumber: a.houseNumber,
    ...(a.houseLetter && { houseLetter: a.houseLetter }),
    ...(a.addition && { houseNumberAddition: a.addition }),
  }));
  const missing = Array.from({ length: Math.max(0, total - byId.length - byPlace.length) }, (_, i) => ({
    addressId: `03072099${String(i).padStart(8, "0")}`,
  }));
  return { addresses: [...byId, ...byPlace, ...missing], byId: byId.length, byPlace: byPlace.length, missing: missing.length };
}

/** A tools/call's structured result through the real MCP endpoint; throws on an error answer. */
export async function mcpCall(stack: Stack, token: string, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { message } = await postToolCall(stack, token, 1, name, args);
  const result = message.result as { structuredContent?: Record<string, unknown>; isError?: boolean } | undefined;
  if (!result?.structuredContent || result.isError) throw new Error(`${name}: ${JSON.stringify(message).slice(0, 500)}`);
  return result.structuredContent;
}

export interface JobStatus {
  jobId: string;
  state: string;
  total: number;
  done: number;
  failed: number;
}

export async function jobStatus(stack: Stack, token: string, jobId: string): Promise<JobStatus> {
  return (await mcpCall(stack, token, "Get_Portfolio_Status", { jobId })) as unknown as JobStatus;
}

/** Polls the job (every `everyMs`) until `until` holds or `timeoutMs` passes. */
export async function waitForJob(
  stack: Stack,
  token: string,
  jobId: string,
  until: (s: JobStatus) => boolean,
  { timeoutMs = 300_000, everyMs = 250 } = {},
): Promise<JobStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await jobStatus(stack, token, jobId);
    if (until(s)) return s;
    if (Date.now() > deadline) throw new Error(`job ${jobId} stuck at ${JSON.stringify(s)}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A read-only query on the stack's local D1 (wrangler d1 execute --local on its state folder). */
export async function d1Query<T>(stack: Stack, sql: string): Promise<T[]> {
  const run = await runCommand(path.join(ROOT, "node_modules", ".bin", "wrangler"), [
    "d1",
    "execute",
    "DB",
    "--local",
    "--persist-to",
    stack.persistTo,
    "--json",
    "--command",
    sql,
  ]);
  if (run.code !== 0) throw new Error(`wrangler d1 execute failed: ${run.stderr.slice(0, 500)}`);
  const parsed = JSON.parse(run.stdout) as Array<{ results: T[] }>;
  return parsed[0]?.results ?? [];
}
