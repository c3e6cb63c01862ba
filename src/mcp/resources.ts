import {
  type CacheHint,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  type Resource,
  type ResourceLink,
  ResourceNotFoundError,
  ResourceTemplate,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { SavedAssessment } from "../data/assessments";
import type { Services } from "../data/services";
import { parseAddressId } from "../domain/address-input";
import { UUID_PATTERN } from "../domain/ids";
import { base64url, base64urlDecode } from "../encoding";
import { UserError, userFacingMessage } from "../errors";
import { ownerTag, portfolioFileKey } from "../files/portfolio-files";
import type { JobRow, JobSummary, PortfolioJobs } from "../jobs/portfolio";
import type { Caller } from "./caller";
import { renderResult as renderAssessment } from "./tools/assessments";
import { renderSummary } from "./tools/portfolio";
import { getPropertyData } from "./tools/property";

/**
 * The signed-in user's own things as MCP resources, and a property's register facts by address
 * id (a resource template). Every URI is `pandgate://…`:
 *
 * - `pandgate://assessments/{assessmentId}` (JSON) and `…/markdown`: one saved assessment;
 * - `pandgate://portfolios/{jobId}/report` (JSON), `…/report/markdown`, and `…/result.csv` (the
 *   result spreadsheet as a blob, up to CSV_BLOB_MAX_BYTES): one ended portfolio job;
 * - `pandgate://properties/{addressId}` (JSON) and `…/markdown`: Get_Property_Data's answer.
 *
 * Reads go through the same owner-scoped reads as the tools (`AssessmentStore.byId`,
 * `PortfolioJobs.owned`), so another user's URI is answered exactly as one that does not exist:
 * -32602 "Resource not found: <uri>". The SDK's McpServer does the template matching, the
 * templates list and the cache fields; this module replaces only its `resources/list` handler,
 * which has no pagination: ours pages the user's resources with an opaque cursor and keeps
 * whatever other modules registered (static resources, e.g. `ui://` apps) on the first page.
 */

/** Ended jobs and saved assessments per `resources/list` page (an assessment is two resources, a job up to three). */
export const LIST_PAGE_ITEMS = 50;
/** The most ended jobs listed (a user's job index lives in the agent; jobs are few and large). */
const JOBS_LISTED_MAX = 1000;
/**
 * The largest result CSV a `resources/read` returns inline (as a base64 blob): 1 MiB, about
 * 3 000 addresses. A larger file (a job takes up to 50 000) is not put into one read; the read
 * then says its size and gives the signed download links instead.
 */
export const CSV_BLOB_MAX_BYTES = 1024 * 1024;

/**
 * Cache hints for 2026-07-28 (`ttlMs`, `cacheScope`; the SDK fills them, 2025-era answers carry
 * none). The user's own lists are private and never reused (ttl 0): a new assessment or a
 * finished job must show on the next list. A saved assessment and an ended job's report do not
 * change once written, but can be deleted (and a report carries signed links that expire), so a
 * client may keep them privately for one minute. The templates list and a property's register
 * facts are the same for every signed-in user: public, five minutes (the registers change daily
 * at most; live answers name their retrieval time).
 */
export const RESOURCE_CACHE_HINTS = {
  "resources/list": { ttlMs: 0, cacheScope: "private" },
  "resources/templates/list": { ttlMs: 3_600_000, cacheScope: "public" },
  "resources/read": { ttlMs: 0, cacheScope: "private" },
} as const satisfies Record<string, CacheHint>;
const OWN_READ_HINT: CacheHint = { ttlMs: 60_000, cacheScope: "private" };
const PROPERTY_READ_HINT: CacheHint = { ttlMs: 300_000, cacheScope: "public" };

const SCHEME = "pandgate://";

export const resourceUri = {
  assessment: (id: string) => `${SCHEME}assessments/${id}`,
  assessmentMarkdown: (id: string) => `${SCHEME}assessments/${id}/markdown`,
  report: (jobId: string) => `${SCHEME}portfolios/${jobId}/report`,
  reportMarkdown: (jobId: string) => `${SCHEME}portfolios/${jobId}/report/markdown`,
  resultCsv: (jobId: string) => `${SCHEME}portfolios/${jobId}/result.csv`,
  property: (addressId: string) => `${SCHEME}properties/${addressId}`,
  propertyMarkdown: (addressId: string) => `${SCHEME}properties/${addressId}/markdown`,
};

/** What reading the user's resources needs: the caller, the request's services and the user's jobs and files (agent only). */
export interface ResourceContext {
  caller: Caller;
  services: Services;
  jobs: PortfolioJobs;
  /** The result files' bucket; only the agent has it (the Worker serves no resources/read). */
  files?: R2Bucket | undefined;
}

/** The JSON form of a saved assessment: what Get_Property_Assessments gives for it, with its address. */
function assessmentJson(a: SavedAssessment) {
  return {
    assessmentId: a.id,
    address: { addressId: a.addressId, label: a.addressLabel },
    createdAt: a.createdAt,
    engineVersion: a.engineVersion,
    result: a.result,
  };
}

function assessmentMarkdown(a: SavedAssessment): string {
  return [
    `# Assessment of ${a.addressLabel}`,
    "",
    `Assessment id ${a.id}, saved ${a.createdAt.slice(0, 16).replace("T", " ")} UTC with ${a.engineVersion}. An indication, not a valuation.`,
    "",
    renderAssessment(a.result),
    "",
  ].join("\n");
}

function reportMarkdown(s: JobSummary): string {
  return [`# Portfolio report ${s.jobId}`, "", renderSummary(s), ""].join("\n");
}

function json(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify(value, null, 2) }] };
}

function markdown(uri: string, text: string): ReadResourceResult {
  return { contents: [{ uri, mimeType: "text/markdown", text }] };
}

/** One variable of a matched template, as a string (the SDK gives arrays for exploded variables). */
function variable(vars: Record<string, string | string[]>, name: string): string {
  const value = vars[name];
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

/** The caller's saved assessment, or "not found" exactly as for an id nobody has. */
async function ownAssessment(uri: URL, id: string, ctx: ResourceContext): Promise<SavedAssessment> {
  if (!UUID_PATTERN.test(id)) throw new ResourceNotFoundError(uri.href, `Resource not found: ${uri.href} (assessment ids are UUIDs)`);
  const found = await ctx.services.assessments.byId(ctx.caller.identity.userKey, id.toLowerCase());
  if (!found) throw new ResourceNotFoundError(uri.href);
  return found;
}

/** The caller's ended portfolio job, or "not found" exactly as for an id nobody has. */
function ownEndedJob(uri: URL, jobId: string, ctx: ResourceContext): JobRow {
  if (!UUID_PATTERN.test(jobId)) throw new ResourceNotFoundError(uri.href, `Resource not found: ${uri.href} (job ids are UUIDs)`);
  const job = ctx.jobs.owned(ctx.caller.identity.userKey, jobId.toLowerCase());
  if (!job) throw new ResourceNotFoundError(uri.href);
  if (job.state === "running") {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Portfolio job ${job.id} is still running: its report is a resource once the job has ended (Get_Portfolio_Status follows it).`,
      { uri: uri.href, reason: "job_running" },
    );
  }
  return job;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

async function resultCsv(uri: URL, job: JobRow, ctx: ResourceContext): Promise<ReadResourceResult> {
  if (!ctx.files) throw new Error("resources/read of a result file outside the user's agent");
  const key = portfolioFileKey(await ownerTag(job.owner_key), job.id, "csv");
  const head = await ctx.files.head(key);
  if (!head) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `The result files of portfolio job ${job.id} are still being written; read this resource again in a moment.`,
      { uri: uri.href, reason: "files_pending" },
    );
  }
  if (head.size <= CSV_BLOB_MAX_BYTES) {
    const object = await ctx.files.get(key);
    if (!object) throw new ResourceNotFoundError(uri.href);
    return { contents: [{ uri: uri.href, mimeType: "text/csv", blob: base64(new Uint8Array(await object.arrayBuffer())) }] };
  }
  const { downloads } = await ctx.jobs.summary(job);
  const mib = (head.size / (1024 * 1024)).toFixed(1);
  const text = [
    `The result CSV of portfolio job ${job.id} is ${mib} MiB (${head.size} bytes), more than the ${CSV_BLOB_MAX_BYTES / (1024 * 1024)} MiB one resource read returns; it is not included here.`,
    downloads
      ? `Download it (links for you only, valid until ${downloads.expiresAt}): CSV ${downloads.csv} ; Excel ${downloads.xlsx}`
      : "Ask Get_Portfolio_Result for its download links.",
    `The summary is at ${resourceUri.reportMarkdown(job.id)}.`,
  ].join("\n");
  return { contents: [{ uri: uri.href, mimeType: "text/plain", text }] };
}

/** A property resource: Get_Property_Data's answer for the address id, read as the tool reads it. */
async function propertyFacts(uri: URL, rawId: string, ctx: ResourceContext) {
  const id = parseAddressId(rawId);
  if (!id.ok) throw new ResourceNotFoundError(uri.href, `Resource not found: ${uri.href} (${id.error})`);
  try {
    return await getPropertyData.run({ addressId: id.value } as never, { services: ctx.services } as never);
  } catch (error) {
    if (error instanceof UserError) throw new ResourceNotFoundError(uri.href, `Resource not found: ${uri.href} (${error.userMessage})`);
    const { message } = userFacingMessage(error, "Reading the property", {
      event: "resource_read_failed",
      reference: `request id ${ctx.caller.requestId}`,
      fields: { uri: uri.href },
    });
    throw new ProtocolError(ProtocolErrorCode.InternalError, message);
  }
}

/** Address ids for what has been typed so far (see ./prompts.ts, `completeAddressIds`). */
export type AddressIdCompleter = (value: string) => Promise<string[]>;

/**
 * Registers pandgate's resources on `server` for one request. Only templates are registered
 * (the SDK matches a read's URI against them); the listing of the user's own resources is our
 * paginated `resources/list` (installed last, replacing the SDK's).
 */
export function registerResources(server: McpServer, ctx: ResourceContext, completeAddressId: AddressIdCompleter): void {
  const template = (uri: string, complete?: Record<string, AddressIdCompleter>) =>
    new ResourceTemplate(uri, { list: undefined, ...(complete && { complete }) });

  server.registerResource(
    "assessment",
    template(resourceUri.assessment("{assessmentId}")),
    {
      title: "Saved assessment (JSON)",
      description:
        "One of your saved property assessments, as Get_Property_Assessments gives it: the full result with sources and periods.",
      mimeType: "application/json",
      cacheHint: OWN_READ_HINT,
    },
    async (uri, vars) => json(uri.href, assessmentJson(await ownAssessment(uri, variable(vars, "assessmentId"), ctx))),
  );
  server.registerResource(
    "assessment-markdown",
    template(resourceUri.assessmentMarkdown("{assessmentId}")),
    {
      title: "Saved assessment (readable)",
      description: "One of your saved property assessments as readable Markdown: the same facts, sources and periods as the JSON form.",
      mimeType: "text/markdown",
      cacheHint: OWN_READ_HINT,
    },
    async (uri, vars) => markdown(uri.href, assessmentMarkdown(await ownAssessment(uri, variable(vars, "assessmentId"), ctx))),
  );
  server.registerResource(
    "portfolio-report",
    template(resourceUri.report("{jobId}")),
    {
      title: "Portfolio report (JSON)",
      description:
        "The summary of one of your ended portfolio jobs, as Get_Portfolio_Result gives it: label distribution, value bands, risk flags, failures, assessment ids and signed download links.",
      mimeType: "application/json",
      cacheHint: OWN_READ_HINT,
    },
    async (uri, vars) => json(uri.href, await ctx.jobs.summary(ownEndedJob(uri, variable(vars, "jobId"), ctx))),
  );
  server.registerResource(
    "portfolio-report-markdown",
    template(resourceUri.reportMarkdown("{jobId}")),
    {
      title: "Portfolio report (readable)",
      description: "The summary of one of your ended portfolio jobs as readable Markdown: the same counts and links as the JSON form.",
      mimeType: "text/markdown",
      cacheHint: OWN_READ_HINT,
    },
    async (uri, vars) => markdown(uri.href, reportMarkdown(await ctx.jobs.summary(ownEndedJob(uri, variable(vars, "jobId"), ctx)))),
  );
  server.registerResource(
    "portfolio-result-csv",
    template(resourceUri.resultCsv("{jobId}")),
    {
      title: "Portfolio result (CSV)",
      description: `The result spreadsheet of one of your ended portfolio jobs, one row per address, as a CSV blob up to ${CSV_BLOB_MAX_BYTES / (1024 * 1024)} MiB; a larger file is answered with its signed download links.`,
      mimeType: "text/csv",
      cacheHint: OWN_READ_HINT,
    },
    async (uri, vars) => resultCsv(uri, ownEndedJob(uri, variable(vars, "jobId"), ctx), ctx),
  );
  server.registerResource(
    "property",
    template(resourceUri.property("{addressId}"), { addressId: completeAddressId }),
    {
      title: "Property facts by address id (JSON)",
      description:
        "Register facts about the property at a BAG address id (16 digits), as Get_Property_Data gives them: unit, buildings, parcel, monument, sources. Completion turns typed address text into address ids.",
      mimeType: "application/json",
      cacheHint: PROPERTY_READ_HINT,
    },
    async (uri, vars) => json(uri.href, await propertyFacts(uri, variable(vars, "addressId"), ctx)),
  );
  server.registerResource(
    "property-markdown",
    template(resourceUri.propertyMarkdown("{addressId}"), { addressId: completeAddressId }),
    {
      title: "Property facts by address id (readable)",
      description: "The same register facts as readable text, with their sources.",
      mimeType: "text/markdown",
      cacheHint: PROPERTY_READ_HINT,
    },
    async (uri, vars) => markdown(uri.href, getPropertyData.render(await propertyFacts(uri, variable(vars, "addressId"), ctx))),
  );
  installPagedList(server, ctx);
}

/** The cursor of a `resources/list` page: an offset into the ended jobs, then keyset into the assessments. */
type Cursor = { jobs: number } | { after: { createdAt: string; id: string } | null };

function encodeCursor(cursor: Cursor): string {
  return base64url(new TextEncoder().encode(JSON.stringify(cursor)));
}

function decodeCursor(raw: string): Cursor {
  const invalid = () =>
    new ProtocolError(ProtocolErrorCode.InvalidParams, "Invalid cursor: pass a nextCursor from an earlier resources/list");
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(base64urlDecode(raw)));
  } catch {
    throw invalid();
  }
  const v = value as Record<string, unknown> | null;
  if (v && typeof v.jobs === "number" && Number.isSafeInteger(v.jobs) && v.jobs >= 0) return { jobs: v.jobs };
  if (v && v.after === null) return { after: null };
  const after = v?.after as Record<string, unknown> | undefined;
  if (after && typeof after.createdAt === "string" && typeof after.id === "string" && UUID_PATTERN.test(after.id)) {
    return { after: { createdAt: after.createdAt, id: after.id } };
  }
  throw invalid();
}

function jobResources(job: JobRow, filesWritten: boolean): Resource[] {
  const when = (job.finished_at ?? job.created_at).slice(0, 16).replace("T", " ");
  const what = `Portfolio job ${job.id} (${job.state} ${when} UTC, ${job.total} address${job.total === 1 ? "" : "es"})`;
  return [
    {
      uri: resourceUri.report(job.id),
      name: `portfolio-${job.id}`,
      title: `${what}: report`,
      description: `${what}: summary as JSON.`,
      mimeType: "application/json",
    },
    {
      uri: resourceUri.reportMarkdown(job.id),
      name: `portfolio-${job.id}-markdown`,
      title: `${what}: report (readable)`,
      description: `${what}: summary as Markdown.`,
      mimeType: "text/markdown",
    },
    ...(filesWritten
      ? [
          {
            uri: resourceUri.resultCsv(job.id),
            name: `portfolio-${job.id}-csv`,
            title: `${what}: result CSV`,
            description: `${what}: one row per address.`,
            mimeType: "text/csv",
          },
        ]
      : []),
  ];
}

function assessmentResources(a: Pick<SavedAssessment, "id" | "addressLabel" | "createdAt" | "engineVersion">): Resource[] {
  const what = `Assessment of ${a.addressLabel}, ${a.createdAt.slice(0, 16).replace("T", " ")} UTC`;
  return [
    {
      uri: resourceUri.assessment(a.id),
      name: `assessment-${a.id}`,
      title: what,
      description: `${what} (${a.engineVersion}), JSON.`,
      mimeType: "application/json",
    },
    {
      uri: resourceUri.assessmentMarkdown(a.id),
      name: `assessment-${a.id}-markdown`,
      title: `${what} (readable)`,
      description: `${what} (${a.engineVersion}), Markdown.`,
      mimeType: "text/markdown",
    },
  ];
}

/**
 * Replaces the SDK's `resources/list` (which concatenates everything, unpaged) with a paged one:
 * the first page starts with what the SDK lists (resources other modules registered by fixed
 * URI), then the user's ended portfolio jobs, newest first, then their saved assessments, newest
 * first (keyset-paged on the owner index, so a user with 50 000 assessments pages cheaply).
 */
function installPagedList(server: McpServer, ctx: ResourceContext): void {
  const inner = server.server as unknown as {
    _getRequestHandler(method: string): ((request: unknown, ctx: ServerContext) => Promise<{ resources?: Resource[] }>) | undefined;
  };
  const sdkList = inner._getRequestHandler("resources/list");
  server.server.setRequestHandler("resources/list", async (request, sctx) => {
    const raw = request.params?.cursor;
    const cursor: Cursor = raw === undefined ? { jobs: 0 } : decodeCursor(raw);
    const owner = ctx.caller.identity.userKey;
    const resources: Resource[] = [];
    if (raw === undefined && sdkList) resources.push(...((await sdkList(request, sctx)).resources ?? []));
    let room = LIST_PAGE_ITEMS;
    let after: { createdAt: string; id: string } | null = null;
    if ("jobs" in cursor) {
      const ended = ctx.jobs.list(owner, JOBS_LISTED_MAX).filter((job) => job.state !== "running");
      const page = ended.slice(cursor.jobs, cursor.jobs + room);
      const written = await ctx.jobs.filesWritten(page.map((job) => job.id));
      for (const job of page) resources.push(...jobResources(job, written.has(job.id)));
      room -= page.length;
      if (cursor.jobs + page.length < ended.length) {
        return { resources, nextCursor: encodeCursor({ jobs: cursor.jobs + page.length }) };
      }
    } else {
      after = cursor.after;
    }
    if (room === 0) return { resources, nextCursor: encodeCursor({ after: null }) };
    const { items, more } = await ctx.services.assessments.ownedPage(owner, room, after);
    for (const a of items) resources.push(...assessmentResources(a));
    const last = items.at(-1);
    return { resources, ...(more && last && { nextCursor: encodeCursor({ after: { createdAt: last.createdAt, id: last.id } }) }) };
  });
}

/** Whether `protocolVersion` has `resource_link` content (2025-06-18 and later). */
function hasResourceLinks(protocolVersion: string): boolean {
  return protocolVersion >= "2025-06-18";
}

const link = (uri: string, name: string, title: string, mimeType: string, description?: string): ResourceLink => ({
  type: "resource_link",
  uri,
  name,
  title,
  mimeType,
  ...(description !== undefined && { description }),
});

function assessmentLinks(id: string, label: string): ResourceLink[] {
  return [
    link(resourceUri.assessment(id), `assessment-${id}`, `Assessment of ${label}`, "application/json"),
    link(resourceUri.assessmentMarkdown(id), `assessment-${id}-markdown`, `Assessment of ${label} (readable)`, "text/markdown"),
  ];
}

function reportLinks(jobId: string, withCsv: boolean): ResourceLink[] {
  return [
    link(resourceUri.report(jobId), `portfolio-${jobId}`, `Portfolio job ${jobId}: report`, "application/json"),
    link(resourceUri.reportMarkdown(jobId), `portfolio-${jobId}-markdown`, `Portfolio job ${jobId}: report (readable)`, "text/markdown"),
    ...(withCsv ? [link(resourceUri.resultCsv(jobId), `portfolio-${jobId}-csv`, `Portfolio job ${jobId}: result CSV`, "text/csv")] : []),
  ];
}

function propertyLink(addressId: string, label: string): ResourceLink {
  return link(resourceUri.property(addressId), `property-${addressId}`, `Property facts: ${label}`, "application/json");
}

type Loose = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** At most this many assessments of a listing are linked (a page holds up to 100). */
const LINKS_MAX = 25;

/**
 * The `resource_link` contents a tool's answer carries besides its text: to what it created or
 * found. Empty for protocol revisions before 2025-06-18, which have no such content.
 */
export function resourceLinksFor(tool: string, result: unknown, protocolVersion: string): ResourceLink[] {
  if (!hasResourceLinks(protocolVersion) || typeof result !== "object" || result === null) return [];
  const r = result as Loose;
  const address = (r.address ?? {}) as Loose;
  const addressId = str(address.addressId);
  const label = str(address.label) ?? addressId ?? "";
  switch (tool) {
    case "Quick_Assess_Property": {
      const id = str(r.assessmentId);
      return [...(id ? assessmentLinks(id, label) : []), ...(addressId ? [propertyLink(addressId, label)] : [])];
    }
    case "Get_Property_Data":
      return addressId ? [propertyLink(addressId, label)] : [];
    case "Get_Assessed_Properties":
      return ((r.properties ?? []) as Loose[]).slice(0, LINKS_MAX).flatMap((p) => {
        const id = str(p.assessmentId);
        const a = (p.address ?? {}) as Loose;
        return id ? [link(resourceUri.assessment(id), `assessment-${id}`, `Assessment of ${str(a.label) ?? ""}`, "application/json")] : [];
      });
    case "Get_Property_Assessments":
      return ((r.assessments ?? []) as Loose[]).slice(0, LINKS_MAX).flatMap((a) => {
        const id = str(a.assessmentId);
        return id ? assessmentLinks(id, label) : [];
      });
    case "Assess_Portfolio": {
      const summary = r.summary as Loose | null | undefined;
      const jobId = str(r.jobId);
      return jobId && summary && summary.state !== "running" ? reportLinks(jobId, summary.downloads != null) : [];
    }
    case "Get_Portfolio_Result":
      return str(r.jobId) && r.state !== "running" ? reportLinks(str(r.jobId) as string, r.downloads != null) : [];
    case "Get_Portfolio_Status":
    case "Cancel_Portfolio":
      return str(r.jobId) && r.state !== "running" ? reportLinks(str(r.jobId) as string, false) : [];
    default:
      return [];
  }
}
