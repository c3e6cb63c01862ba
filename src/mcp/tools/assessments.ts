import { z } from "zod";
import { SCOPE_READ, SCOPE_WRITE } from "../../auth/scopes";
import { ASSESSMENT_FACTS, assessProperty } from "../../data/assess-address";
import type { SavedAssessment } from "../../data/assessments";
import { resolveAddress, resolveProperty } from "../../data/resolve-address";
import { AssessmentResultSchema, ENGINE_VERSION, MIDPOINT_NOTE } from "../../domain/assessment";
import type { ValueFactor } from "../../domain/value-method";
import { UserError } from "../../errors";
import { PROPERTY_CARD } from "../apps";
import type { ToolSpec } from "../catalog";
import { addressOut, HeaderedAddressSelector, Paging, parseUuid, RegisterGapsOut, SourcesOut, sourcesNote } from "./shared";

function assessmentId(input: string): string {
  return parseUuid(input, "an assessment id: ids");
}

function eur(n: number): string {
  return `€${n.toLocaleString("en-GB")}`;
}

type AssessmentResult = z.infer<typeof AssessmentResultSchema>;

/** A factor's name in words ("energy-label" is "energy label"). */
export function factorName(name: ValueFactor["name"]): string {
  return name.replace("-", " ");
}

function factorLine(f: ValueFactor): string {
  return `  - ${factorName(f.name)} ×${f.value}${f.applied ? "" : " (not applied)"}: ${f.note} Source: ${f.source}${f.period ? `, ${f.period}` : ""}.`;
}

/**
 * Where the value per m² came from: source, level and region, the WOZ table and period, and the
 * corrections applied. The label effect is its own line only without factors (older results);
 * with factors the energy-label factor says it.
 */
function renderBasis(basis: NonNullable<AssessmentResult["value"]>["basis"], withFactors: boolean): string[] {
  const b = basis.valueBasis;
  const parts = [
    `${b.source}${b.synthetic ? " (synthetic)" : ""}, ${b.level} ${b.regionCode}: ${b.eurPerM2} €/m²`,
    `WOZ from ${b.woz.table} (${b.woz.period})${b.woz.avgEur !== null ? `, average ${eur(b.woz.avgEur)}` : ""}${b.referenceDate ? `, valuation date ${b.referenceDate}` : ""}`,
    ...(b.surface ? [`area from ${b.surface.table} (${b.surface.period}), average ${b.surface.avgM2} m²`] : []),
    b.priceIndex
      ? `price index ${b.priceIndex.table} ×${b.priceIndex.factor} (${b.priceIndex.basePeriod} → ${b.priceIndex.period})`
      : "no price-index correction",
  ];
  return [
    `Method: ${basis.method}`,
    `Value per m²: ${basis.eurPerM2Source}; ${parts.join("; ")}`,
    ...(withFactors ? [] : [`Label effect: ${basis.labelAdjustmentBasis}`]),
  ];
}

function renderValue(r: AssessmentResult): string[] {
  if (!r.value) return [`No value range: ${r.valueUnavailableReason}`];
  const v = r.value;
  const lines = [
    `Indicative value ${eur(v.low)} – ${eur(v.high)} (midpoint ${eur(v.mid)}; ±${v.rangePct} %, confidence ${v.confidence}): an indication, not a valuation`,
    `Basis: ${v.basis.eurPerM2} €/m² × ${v.basis.surfaceM2} m²`,
    ...renderBasis(v.basis, Boolean(v.factors)),
  ];
  if (v.factors) lines.push("Factors:", ...v.factors.map(factorLine));
  else lines.push(`Label effect ${v.basis.labelAdjustmentPct >= 0 ? "+" : ""}${v.basis.labelAdjustmentPct} %`);
  const check = v.neighbourhoodCheck;
  // Out of the band, the reason (which gives the ratio and the band) is also a risk below; said once here.
  if (check?.ratio != null)
    lines.push(
      check.withinBand
        ? `Neighbourhood check: the midpoint is ${check.ratio} × the buurt's average WOZ${v.basis.valueBasis.priceIndex ? ` indexed ×${v.basis.valueBasis.priceIndex.factor}` : ""}, within the expected ${check.band[0]}–${check.band[1]}`
        : `Neighbourhood check: ${check.reason ?? `the midpoint is ${check.ratio} × the buurt's average WOZ, outside the expected ${check.band[0]}–${check.band[1]}`}`,
    );
  else if (check?.reason) lines.push(`Neighbourhood check: ${check.reason}`);
  return lines;
}

/** An assessment result in words, as the tools and the Markdown resource (../resources.ts) give it. */
export function renderResult(r: AssessmentResult): string {
  // The label the value assumed is said by the energy-label factor; only a result without factors says it here.
  const assumed = r.value?.factors ? undefined : r.value?.basis.assumedLabel;
  const e = r.energy;
  const energy = e.label
    ? `Energy label ${e.label} (${e.status}; ${e.method}${e.ep2KwhM2 !== null ? `, EP2 ${e.ep2KwhM2} kWh/m²·yr` : ""}${e.energyIndex !== null ? `, EI ${e.energyIndex}` : ""}; valid until ${e.validUntil?.slice(0, 10)}, ${e.ageYears} year(s) since registration)${assumed && assumed.basis !== "registered" ? `; ${assumed.note}` : ""}`
    : e.status === "unknown"
      ? `Energy label: unknown (EP-Online could not be asked)${assumed ? `. ${assumed.note}` : ""}`
      : `No registered energy label${e.substituteLabelForBuildYear ? `; WWS substitute label for its build year: ${e.substituteLabelForBuildYear} (what the rent points system counts when a dwelling has no label, not a prediction)` : ""}${assumed ? `. ${assumed.note}` : ""}`;
  const n = r.neighbourhoodContext;
  const neighbourhood = n
    ? `Buurt ${n.name} (${n.code}): average WOZ ${n.avgWozEur === null ? "unknown" : eur(n.avgWozEur)}. ${n.note}`
    : "No neighbourhood context.";
  const risks = [...r.registerChecks, ...r.risks, ...r.locationFlags].map((x) => `- ${x.severity}: ${x.evidence} (source: ${x.source})`);
  const gaps = r.dataGaps.map((g) => `- ${g}`);
  return [
    `${r.address.label} (BAG address id ${r.address.addressId})`,
    `Assessed ${r.assessedAt.slice(0, 10)} ${r.assessedAt.slice(11, 16)} UTC with ${r.engineVersion}`,
    ...renderValue(r),
    energy,
    r.buildYear === null ? "No build year registered." : `Built ${r.buildYear}.`,
    neighbourhood,
    ...(risks.length ? ["Risks and flags:", ...risks] : []),
    ...(gaps.length ? ["Missing data:", ...gaps] : []),
    `Method ${r.engineVersion}. ${r.disclaimer}`,
  ].join("\n");
}

const assessInput = z.object(HeaderedAddressSelector);
/** The address an assessment is about: its BAG id under the name every input uses, and its label. */
const AddressRef = z.object({ addressId: z.string().describe("BAG address (nummeraanduiding) id."), label: z.string() });
const assessOutput = AssessmentResultSchema.extend({ assessmentId: z.string(), registerGaps: RegisterGapsOut, sources: SourcesOut });

export const quickAssessProperty: ToolSpec<typeof assessInput, typeof assessOutput> = {
  name: "Quick_Assess_Property",
  app: PROPERTY_CARD.uri,
  title: "Quick property assessment (saved)",
  description:
    "Saves an indicative assessment of one address: value range and basis, label, risks, data gaps. Not an appraisal. Use for one property; for many, Assess_Portfolio.",
  input: assessInput,
  output: assessOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  readsRegisters: true,
  requiredScopes: [SCOPE_READ, SCOPE_WRITE],
  async run(args, { services, caller, progress, signal }) {
    const total = 5;
    await progress.report(0, total, "Finding the address and reading the registers");
    // One round trip in D1 reads the address and everything the assessment needs; the save is the second.
    const facts = await resolveProperty(services, args, ASSESSMENT_FACTS);
    const { address } = facts;
    const { label, result, sources, registerGaps } = assessProperty(facts, services.now());
    await progress.report(1, total, `Found ${label}; checking the register facts`);
    await progress.report(2, total, "Checking the energy label");
    await progress.report(3, total, "Checking the neighbourhood");
    await progress.report(4, total, "Estimating the value range and risks");
    if (signal.aborted) throw new UserError("The assessment was cancelled; nothing was saved.");
    const saved = await services.assessments.save({
      ownerKey: caller.identity.userKey,
      tenantId: caller.identity.tenantId,
      // As signed in now ("" when the identity has no such claim), for the tenant view.
      ownerName: caller.identity.displayName ?? "",
      ownerEmail: caller.identity.email ?? "",
      addressId: address.id,
      addressLabel: label,
      engineVersion: ENGINE_VERSION,
      jobId: null,
      inputs: { addressId: address.id, request: args },
      result,
    });
    await progress.report(5, total, `Saved as ${saved.id}`);
    return { ...result, assessmentId: saved.id, registerGaps, sources };
  },
  render(r) {
    return `Assessment ${r.assessmentId}\n${renderResult(r)}${sourcesNote(r.sources)}`;
  },
};

const SummaryOut = z.object({
  assessmentId: z.string(),
  address: AddressRef,
  assessedAt: z.string(),
  engineVersion: z.string(),
  valueMid: z.number().nullable().describe("The midpoint of the indicative value range: an indication, not a valuation."),
  energyLabel: z.string().nullable(),
  riskCount: z.number(),
});

function summary(a: SavedAssessment): z.infer<typeof SummaryOut> {
  return {
    assessmentId: a.id,
    address: { addressId: a.addressId, label: a.addressLabel },
    assessedAt: a.createdAt,
    engineVersion: a.engineVersion,
    valueMid: a.result.value?.mid ?? null,
    energyLabel: a.result.energy?.label ?? null,
    riskCount: (a.result.risks?.length ?? 0) + (a.result.registerChecks?.length ?? 0),
  };
}

const listInput = z.object(Paging);
const listOutput = z.object({ total: z.number(), page: z.number(), pageSize: z.number(), properties: z.array(SummaryOut) });

export const getAssessedProperties: ToolSpec<typeof listInput, typeof listOutput> = {
  name: "Get_Assessed_Properties",
  title: "My assessed properties",
  description: "Properties you assessed, latest assessment each; paged. Use to find earlier work.",
  input: listInput,
  output: listOutput,
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiredScopes: [SCOPE_READ],
  async run({ page, pageSize }, { services, caller }) {
    const { items, total } = await services.assessments.latestPerAddress(caller.identity.userKey, pageSize, (page - 1) * pageSize);
    return { total, page, pageSize, properties: items.map(summary) };
  },
  render(r) {
    if (r.total === 0) return "You have not assessed any properties yet. Use Quick_Assess_Property.";
    return `${r.total} assessed propert${r.total === 1 ? "y" : "ies"} (values are the ${MIDPOINT_NOTE}):\n${r.properties
      .map(
        (p) =>
          `- ${p.address.label} (BAG address id ${p.address.addressId}): ${p.valueMid !== null ? `midpoint ${eur(p.valueMid)}` : "no value"}, label ${p.energyLabel ?? "none"}, ${p.riskCount} flag(s) (${p.assessedAt.slice(0, 10)}, ${p.engineVersion}, id ${p.assessmentId})`,
      )
      .join("\n")}`;
  },
};

const forPropertyInput = z.object({
  assessmentId: z.string().max(64).optional().describe("One assessment id, or give the address."),
  ...HeaderedAddressSelector,
});
const forPropertyOutput = z.object({
  address: AddressRef,
  assessments: z.array(
    z.object({ assessmentId: z.string(), createdAt: z.string(), engineVersion: z.string(), result: AssessmentResultSchema }),
  ),
});

export const getPropertyAssessments: ToolSpec<typeof forPropertyInput, typeof forPropertyOutput> = {
  name: "Get_Property_Assessments",
  title: "My assessments of a property",
  description: "Your saved assessments of one address, or one by id. Use to reread instead of assessing again.",
  input: forPropertyInput,
  output: forPropertyOutput,
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  readsRegisters: true,
  requiredScopes: [SCOPE_READ],
  async run(args, { services, caller }) {
    const owner = caller.identity.userKey;
    const full = (a: SavedAssessment) => ({ assessmentId: a.id, createdAt: a.createdAt, engineVersion: a.engineVersion, result: a.result });
    if (args.assessmentId !== undefined && args.assessmentId.trim() !== "") {
      const found = await services.assessments.byId(owner, assessmentId(args.assessmentId));
      if (!found) throw new UserError(`You have no assessment with id ${args.assessmentId.trim()}.`);
      return { address: { addressId: found.addressId, label: found.addressLabel }, assessments: [full(found)] };
    }
    const address = await resolveAddress(services, args);
    const list = await services.assessments.forAddress(owner, address.id);
    return { address: { addressId: address.id, label: addressOut(address).label }, assessments: list.map(full) };
  },
  render(r) {
    if (r.assessments.length === 0) return `You have no assessments of ${r.address.label}.`;
    // Each assessment in full, as Quick_Assess_Property gave it: reasons, risks and data gaps included.
    return `${r.assessments.length} assessment(s) of ${r.address.label} (BAG address id ${r.address.addressId}; indicative ranges: an indication, not a valuation):\n${r.assessments
      .map((a) => `\n## ${a.createdAt.slice(0, 16)} (${a.assessmentId}, ${a.engineVersion})\n${renderResult(a.result)}`)
      .join("\n")}`;
  },
};

const deleteInput = z.object({ assessmentId: z.string().max(64).describe("One of your assessment ids.") });
const deleteOutput = z.object({
  deleted: z.literal(true),
  assessmentId: z.string(),
  address: AddressRef,
});

export const deletePropertyAssessment: ToolSpec<typeof deleteInput, typeof deleteOutput> = {
  name: "Delete_Property_Assessment",
  title: "Delete one of my assessments",
  description: "Deletes one of your saved assessments. Use only when the user asks.",
  input: deleteInput,
  output: deleteOutput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  requiredScopes: [SCOPE_READ, SCOPE_WRITE],
  async run({ assessmentId: raw }, { services, caller }) {
    const id = assessmentId(raw);
    const owner = caller.identity.userKey;
    const deleted = await services.assessments.delete(owner, id);
    if (!deleted) throw new UserError(`You have no assessment with id ${id}; nothing was deleted.`);
    return { deleted: true as const, assessmentId: id, address: { addressId: deleted.addressId, label: deleted.addressLabel } };
  },
  render(r) {
    return `Deleted assessment ${r.assessmentId} of ${r.address.label} (BAG address id ${r.address.addressId}).`;
  },
};

/** Who saved an assessment, as they were signed in then. */
const OwnerOut = z
  .object({
    userKey: z.string().describe("The stable user key (what Get_Audit_Log filters by)."),
    name: z.string().nullable().describe("Display name as signed in when the assessment was saved; null when not recorded or not given."),
    email: z.string().nullable().describe("E-mail as signed in when the assessment was saved; null when not recorded or not given."),
    recorded: z.boolean().describe("False for assessments saved before names and e-mail were recorded."),
  })
  .describe("The user who saved the assessment, as signed in at the time.");

function ownerOf(a: SavedAssessment): z.infer<typeof OwnerOut> {
  return {
    userKey: a.ownerKey,
    name: a.ownerName || null,
    email: a.ownerEmail || null,
    recorded: a.ownerName !== null || a.ownerEmail !== null,
  };
}

/** "Anna de Vries <anna@contoso.example>", or what is known when names were not recorded or not given. */
export function ownerLabel(o: z.infer<typeof OwnerOut>): string {
  if (!o.recorded) return `unknown (saved before names were recorded; user key ${o.userKey})`;
  if (o.name && o.email) return `${o.name} <${o.email}>`;
  if (o.name || o.email) return `${o.name ?? o.email} (no ${o.name ? "e-mail" : "name"} given at sign-in)`;
  return `user key ${o.userKey} (no name or e-mail given at sign-in)`;
}

const tenantOutput = z.object({
  tenantId: z.string(),
  total: z.number(),
  page: z.number(),
  pageSize: z.number(),
  assessments: z.array(SummaryOut.extend({ owner: OwnerOut })),
});

export const getTenantAssessments: ToolSpec<typeof listInput, typeof tenantOutput> = {
  name: "Get_Tenant_Assessments",
  title: "Assessments in my organisation (Admin)",
  description: "Assessments saved by anyone in your organisation; paged. Use for the team's work; for your own, Get_Assessed_Properties.",
  input: listInput,
  output: tenantOutput,
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiredScopes: [SCOPE_READ],
  requiredRoles: ["Admin"],
  async run({ page, pageSize }, { services, caller }) {
    const tenantId = caller.identity.tenantId;
    const { items, total } = await services.assessments.forTenant(tenantId, pageSize, (page - 1) * pageSize);
    return { tenantId, total, page, pageSize, assessments: items.map((a) => ({ ...summary(a), owner: ownerOf(a) })) };
  },
  render(r) {
    if (r.total === 0) return `No assessments in tenant ${r.tenantId} yet.`;
    const more = r.total > r.page * r.pageSize ? `\n… page ${r.page} of ${Math.ceil(r.total / r.pageSize)}` : "";
    return `${r.total} assessment(s) in tenant ${r.tenantId} (values are the ${MIDPOINT_NOTE}):\n${r.assessments
      .map(
        (a) =>
          `- ${a.address.label} (BAG address id ${a.address.addressId}) by ${ownerLabel(a.owner)} (${a.assessedAt.slice(0, 10)}, ${a.engineVersion}, id ${a.assessmentId}): ${a.valueMid !== null ? `midpoint ${eur(a.valueMid)}` : "no value"}, label ${a.energyLabel ?? "none"}, ${a.riskCount} flag(s)`,
      )
      .join("\n")}${more}`;
  },
};
