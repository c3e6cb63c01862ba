/**
 * Text parity: what a tool's `structuredContent` knows, its text content says. Many clients hand
 * the model only the text, so a reason, data gap, risk or register fact that is only in the
 * structure is lost to them.
 *
 * `checkParity` walks the structured result and requires each leaf to show in the text:
 * - a string: the string itself (case-insensitive, whitespace collapsed); an ISO date-time may
 *   show as its date (`2026-11-02`) or date and minute (`2026-11-02 09:30`/`…T09:30`);
 * - a number: as a whole number token, plain (`1234.5`) or grouped the way the renders format
 *   euros (`1,234.5`);
 * - null: as unknown (`unknown`, `not known`, `?`) unless the tool's rule for that path says how
 *   the text words its absence;
 * - a boolean: only through a rule for its path (a boolean has no default wording);
 * - empty strings and empty arrays have nothing to show.
 *
 * Each tool has a list of rules (`PARITY_RULES`): a path pattern (`a.b[].c`, `[]` for any array
 * index, `*` for any key of a record) with either `exempt: reason` (the leaf need not show; the
 * reason says why) or `shows(value, text, root)`, which returns the evidence in the text, `true`
 * when the value needs nothing shown (e.g. `false` of a finding), or null when it is missing. A
 * leaf that passes names its evidence, so `dropEvidence` can prove the check is not vacuous: with
 * that evidence removed from the text, the leaf must be reported.
 */

import { describeGap, type RegisterGap } from "../../src/data/types";
import { SECTOR_WORDS } from "../../src/jobs/summary";

export type Shows = (value: unknown, text: string, root: unknown, path: string) => string | true | null;

export interface ParityRule {
  path: string;
  exempt?: string;
  shows?: Shows;
}

export interface Leaf {
  path: string;
  pattern: string;
  value: unknown;
}

export interface LeafResult extends Leaf {
  evidence: string | true | null;
  rule: "default" | "rule" | "exempt";
}

const UNKNOWN = /\bunknown\b|\bnot known\b|\?/i;

/** Every leaf of `value`, with its concrete path and its pattern (`[]` for indices). */
export function leaves(value: unknown, path = "", pattern = ""): Leaf[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => leaves(item, `${path}[${i}]`, `${pattern}[]`));
  }
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, child]) =>
      leaves(child, path ? `${path}.${key}` : key, pattern ? `${pattern}.${key}` : key),
    );
  }
  return [{ path, pattern, value }];
}

function normalise(text: string): string {
  return text.replace(/\s+/g, " ").toLowerCase();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The first of `candidates` found in `text` (case-insensitive, whitespace collapsed). */
export function findString(text: string, ...candidates: string[]): string | null {
  const hay = normalise(text);
  for (const c of candidates) {
    const needle = normalise(c).trim();
    if (needle !== "" && hay.includes(needle)) return c;
  }
  return null;
}

/** `n` as a whole number token in `text`: plain or grouped with commas (en-GB). */
export function findNumber(text: string, n: number): string | null {
  const forms = [String(n), n.toLocaleString("en-GB", { maximumFractionDigits: 20 })];
  for (const form of forms) {
    if (new RegExp(`(?<![\\d.,])${escapeRegExp(form)}(?![\\d]|[.,]\\d)`).test(text)) return form;
  }
  return null;
}

const ISO_DATE_TIME = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/;

function defaultEvidence(value: unknown, text: string): string | null {
  if (value === null) return UNKNOWN.exec(text)?.[0] ?? null;
  if (typeof value === "number") return findNumber(text, value);
  if (typeof value === "string") {
    const iso = ISO_DATE_TIME.exec(value);
    if (iso) return findString(text, value, `${iso[1]} ${iso[2]}`, `${iso[1]}T${iso[2]}`, iso[1] as string);
    // A Dutch postcode may be written with its space, as address labels do (3817 AD).
    if (/^\d{4}[A-Z]{2}$/.test(value)) return findString(text, value, `${value.slice(0, 4)} ${value.slice(4)}`);
    return findString(text, value);
  }
  return null;
}

function matches(pattern: string, rulePath: string): boolean {
  if (!rulePath.includes("*")) return pattern === rulePath;
  const re = new RegExp(`^${rulePath.split("*").map(escapeRegExp).join("[^.\\[]+")}$`);
  return re.test(pattern);
}

/** Every leaf of `structured` with what shows it in `text`. */
export function checkParity(structured: unknown, text: string, rules: readonly ParityRule[]): LeafResult[] {
  return leaves(structured).flatMap((leaf): LeafResult[] => {
    const rule = rules.find((r) => matches(leaf.pattern, r.path));
    if (rule?.exempt !== undefined) return [{ ...leaf, evidence: true, rule: "exempt" }];
    if (rule?.shows) return [{ ...leaf, evidence: rule.shows(leaf.value, text, structured, leaf.path), rule: "rule" }];
    if (typeof leaf.value === "string" && leaf.value.trim() === "") return [];
    if (typeof leaf.value === "boolean") return [{ ...leaf, evidence: null, rule: "default" }];
    return [{ ...leaf, evidence: defaultEvidence(leaf.value, text), rule: "default" }];
  });
}

/** The leaves the text does not show, as readable lines (empty when parity holds). */
export function missingFromText(structured: unknown, text: string, rules: readonly ParityRule[]): string[] {
  return checkParity(structured, text, rules)
    .filter((r) => r.evidence === null)
    .map((r) =>
      typeof r.value === "boolean" && r.rule === "default"
        ? `${r.path}: a boolean (${r.value}) needs a rule saying how the text shows it`
        : `${r.path}: ${JSON.stringify(r.value)} is not in the text`,
    );
}

/**
 * The check is not vacuous: for every leaf shown by evidence in the text, removing that evidence
 * (all of it, case-insensitively) must make the leaf missing. Returns the leaves for which it did
 * not (the check would pass whatever the render said).
 */
export function vacuousLeaves(structured: unknown, text: string, rules: readonly ParityRule[]): string[] {
  const out: string[] = [];
  for (const r of checkParity(structured, text, rules)) {
    if (typeof r.evidence !== "string" || r.evidence === "") continue;
    const pattern = new RegExp(escapeRegExp(r.evidence).replace(/\\? /g, "\\s+"), "gi");
    const without = text.replace(pattern, "");
    const again = checkParity(structured, without, rules).find((x) => x.path === r.path);
    if (again && again.evidence !== null && again.evidence !== true) {
      // Another form of the same value still shows (e.g. the full ISO time and its date): drop it too.
      const second = new RegExp(escapeRegExp(again.evidence).replace(/\\? /g, "\\s+"), "gi");
      const twice = checkParity(structured, without.replace(second, ""), rules).find((x) => x.path === r.path);
      if (twice && twice.evidence !== null) out.push(`${r.path} (evidence ${JSON.stringify(r.evidence)})`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rules shared by several tools.

/** A finding that is shown when true (by `when`), and is no finding when false. */
const flag =
  (when: RegExp, ifNull?: RegExp): Shows =>
  (value, text) => {
    if (value === false) return true;
    const re = value === null ? ifNull : when;
    return re ? (re.exec(text)?.[0] ?? null) : null;
  };

/** An optional part that is only shown when present (a house letter, an addition). */
const ifPresent: Shows = (value, text) => (value === null ? true : defaultEvidence(value, text));

/** A null worded by `re`; a value by default. */
const nullAs =
  (re: RegExp): Shows =>
  (value, text) =>
    value === null ? (re.exec(text)?.[0] ?? null) : defaultEvidence(value, text);

/** Zero is "nothing of this" and needs no words; another number must show. */
const zeroSilent: Shows = (value, text) => (value === 0 ? true : defaultEvidence(value, text));

/** The value at a concrete path (`a.b[0].c`) of `root`. */
const at = (root: unknown, path: string): unknown =>
  path
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .filter((k) => k !== "")
    .reduce<unknown>((o, k) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), root);

/** The registered label beside an `energy.*` leaf at `path`. */
const labelBeside = (root: unknown, path: string): unknown => at(root, path.replace(/energy\.\w+$/, "energy.label"));

/** The paths of an address as `AddressOut` gives it, under `prefix`. */
function addressRules(prefix: string): ParityRule[] {
  return [
    { path: `${prefix}houseLetter`, shows: ifPresent },
    { path: `${prefix}houseNumberAddition`, shows: ifPresent },
    { path: `${prefix}postcode`, shows: nullAs(/no postcode/i) },
    { path: `${prefix}municipality`, shows: nullAs(/municipality unknown|gemeente unknown/i) },
    { path: `${prefix}isMainAddress`, shows: (v, text) => (v === true ? true : (/nevenadres/i.exec(text)?.[0] ?? null)) },
  ];
}

/** No label to show: none registered, or EP-Online could not be asked. */
const NO_LABEL = /no registered energy label|energy label: unknown/i;

/** A register gap's leaves are shown by its one sentence, as every tool's text gives it (describeGap). */
const gapSentence: Shows = (_v, text, root, path) => {
  const gapPath = /^(.*?registerGaps\[\d+\])/.exec(path)?.[1];
  const gap = gapPath === undefined ? undefined : (at(root, gapPath) as RegisterGap | undefined);
  return gap ? findString(text, describeGap(gap)) : null;
};

/** Every register-reading tool's `registerGaps` (empty in synthetic mode). */
const GAP_RULES: ParityRule[] = ["register", "name", "fields[]", "reason", "stale", "stale.retrievedAt"].map((key) => ({
  path: `registerGaps[].${key}`,
  shows: gapSentence,
}));

const UNIT_OF_ADDRESS: ParityRule = {
  path: "address.unitId",
  exempt: "the address's link to its unit; Get_Property_Data shows the unit with its id",
};

const SOURCE_RULES: ParityRule[] = [
  {
    path: "sources[].synthetic",
    shows: (v, text) => (v === true ? (/synthetic demonstration data/i.exec(text)?.[0] ?? null) : true),
  },
];

const RISK = (prefix: string): ParityRule[] => [
  { path: `${prefix}[].rule`, exempt: "the rule's id, a key for programs; its evidence says the same in words" },
];

/** The quick assessment's result, as `Quick_Assess_Property` and `Get_Property_Assessments` give it. */
function assessmentRules(prefix: string): ParityRule[] {
  return [
    ...RISK(`${prefix}registerChecks`),
    ...RISK(`${prefix}risks`),
    ...RISK(`${prefix}locationFlags`),
    { path: `${prefix}value`, shows: nullAs(/no value range/i) },
    { path: `${prefix}valueUnavailableReason`, shows: (v, text) => (v === null ? true : defaultEvidence(v, text)) },
    { path: `${prefix}value.currency`, shows: (_v, text) => /€/.exec(text)?.[0] ?? null },
    {
      path: `${prefix}value.basis.valueBasis.synthetic`,
      shows: (v, text) => (v === true ? (/synthetic/i.exec(text)?.[0] ?? null) : true),
    },
    {
      path: `${prefix}value.basis.valueBasis.woz.column`,
      exempt: "the column key inside the table named beside it, a name for programs",
    },
    {
      path: `${prefix}value.basis.valueBasis.surface.column`,
      exempt: "the column key inside the table named beside it, a name for programs",
    },
    {
      path: `${prefix}value.basis.valueBasis.priceIndex.column`,
      exempt: "the column key inside the table named beside it, a name for programs",
    },
    { path: `${prefix}value.basis.valueBasis.woz.avgEur`, shows: (v, text) => (v === null ? true : defaultEvidence(v, text)) },
    { path: `${prefix}value.basis.valueBasis.referenceDate`, shows: (v, text) => (v === null ? true : defaultEvidence(v, text)) },
    { path: `${prefix}value.basis.valueBasis.surface`, shows: (v) => (v === null ? true : null) },
    {
      path: `${prefix}value.basis.valueBasis.priceIndex`,
      shows: (v, text) => (v === null ? (/no price-index correction/i.exec(text)?.[0] ?? null) : null),
    },
    {
      path: `${prefix}energy.status`,
      shows: (v, text) => (v === "none" ? (/no registered energy label/i.exec(text)?.[0] ?? null) : defaultEvidence(v, text)),
    },
    ...["label", "method", "ep2KwhM2", "energyIndex", "validUntil", "ageYears"].map(
      (key): ParityRule => ({
        path: `${prefix}energy.${key}`,
        shows: (v, text, root, path) => {
          if (v !== null) return defaultEvidence(v, text);
          // No label at all: the text says so; with a label, only EP2 or the index applies.
          if (labelBeside(root, path) === null) return NO_LABEL.exec(text)?.[0] ?? null;
          return key === "ep2KwhM2" || key === "energyIndex" ? true : null;
        },
      }),
    ),
    {
      path: `${prefix}energy.substituteLabelForBuildYear`,
      shows: (v, text, root, path) =>
        v === null || labelBeside(root, path) !== null
          ? true // a registered label is what counts; the stand-in is not used
          : defaultEvidence(v, text),
    },
    {
      path: `${prefix}value.basis.assumedLabel.basis`,
      exempt: "the kind of assumption, a key for programs; the assumed label's note beside it says the same in words",
    },
    // The value's factors (quick-assess/3): each is one line "- <name> ×<value>[ (not applied)]: <note> Source: <source>, <period>."
    { path: `${prefix}value.factors[].name`, shows: (v, text) => findString(text, `${String(v).replace("-", " ")} ×`) },
    { path: `${prefix}value.factors[].applied`, shows: (v, text) => (v === true ? true : (/\(not applied\)/i.exec(text)?.[0] ?? null)) },
    { path: `${prefix}value.factors[].period`, shows: (v, text) => (v === null ? true : defaultEvidence(v, text)) },
    {
      path: `${prefix}value.neighbourhoodCheck.withinBand`,
      shows: (v, text) =>
        v === true
          ? (/within the expected/i.exec(text)?.[0] ?? null)
          : v === false
            ? (/outside [\d.]+–[\d.]+/i.exec(text)?.[0] ?? null)
            : true, // no comparison made: its reason says why
    },
    { path: `${prefix}value.neighbourhoodCheck.reason`, shows: (v, text) => (v === null ? true : defaultEvidence(v, text)) },
    { path: `${prefix}value.neighbourhoodCheck.ratio`, shows: (v, text) => (v === null ? true : defaultEvidence(v, text)) },
    {
      path: `${prefix}value.neighbourhoodCheck.band[]`,
      // The band matters only where a ratio was compared with it; without a buurt average its reason says so.
      shows: (v, text, root, path) => (at(root, path.replace(/band\[\d+\]$/, "ratio")) === null ? true : defaultEvidence(v, text)),
    },
    { path: `${prefix}buildYear`, shows: nullAs(/no build year/i) },
    { path: `${prefix}neighbourhoodContext`, shows: nullAs(/no neighbourhood/i) },
    { path: `${prefix}neighbourhoodContext.avgWozEur`, shows: nullAs(/average WOZ unknown/i) },
  ];
}

const PAGING: ParityRule[] = [
  { path: "page", exempt: "echo of the request's page argument" },
  { path: "pageSize", exempt: "echo of the request's pageSize argument" },
];

const JOB_RULES: ParityRule[] = [
  { path: "duplicatesDropped", shows: zeroSilent },
  // "1 of 1 assessed" says no failure; a failure is always counted ("2 failed", "27 of 27 failed").
  { path: "failed", shows: zeroSilent },
  { path: "finishedAt", shows: nullAs(/not finished|running|stopping/i) },
  { path: "cancelRequested", shows: flag(/stopping|cancel/i) },
  { path: "elapsedMs", shows: (v, text) => findString(text, `${((v as number) / 1000).toFixed(1)} s`) },
  { path: "durationMs", shows: (v, text) => (v === null ? true : findString(text, `${((v as number) / 1000).toFixed(1)} s`)) },
];

/** Record keys are data too (`{"A": 3}` is "A: 3"): the summary's counts are checked as "key: value". */
function countsRules(prefix: string): ParityRule[] {
  return ["labelCounts", "valueBands", "riskCounts"].map(
    (name): ParityRule => ({
      path: `${prefix}${name}.*`,
      shows: (v, text, _root, path) => findString(text, `${path.slice(path.lastIndexOf(`${name}.`) + name.length + 1)}: ${v}`),
    }),
  );
}

/** A job's WWS sector counts (fixed keys): each as its words and count, "outside the WWS: 1". */
function sectorRule(prefix: string): ParityRule[] {
  return [
    {
      path: `${prefix}sectorCounts.*`,
      shows: (v, text, _root, path) =>
        typeof v === "object"
          ? true
          : findString(text, `${SECTOR_WORDS[path.slice(path.lastIndexOf(".") + 1) as keyof typeof SECTOR_WORDS]}: ${v}`),
    },
    // The same dwellings by most likely total, on their own line.
    {
      path: `${prefix}sectorCounts.mostLikely.*`,
      shows: (v, text, _root, path) => {
        const line = text.split("\n").find((l) => l.startsWith("WWS sectors by most likely total")) ?? "";
        return findString(line, `${path.slice(path.lastIndexOf(".") + 1)}: ${v}`);
      },
    },
  ];
}

/**
 * Per tool: the paths whose leaves need a rule. Anything not listed is checked by the defaults;
 * an exemption always says why.
 */
export const PARITY_RULES: Record<string, ParityRule[]> = {
  Get_Server_Info: [
    {
      path: "data.source",
      shows: (v, text) => findString(text, v === "live" ? "live public registers" : "synthetic demo dataset"),
    },
  ],
  Search_Addresses: [
    ...addressRules("candidates[]."),
    { path: "candidates[].score", exempt: "a relevance score comparable only within one answer; the rank shows the order it gives" },
    {
      path: "candidates[].exactNumber",
      shows: (v, text) => (v === true ? true : (/not the number searched for|number not exact|without it/i.exec(text)?.[0] ?? null)),
    },
    { path: "note", shows: (v, text) => (v === null ? true : defaultEvidence(v, text)) },
    ...SOURCE_RULES,
  ],
  Get_Addresses_for_Postcode: [
    ...addressRules("addresses[]."),
    { ...UNIT_OF_ADDRESS, path: "addresses[].unitId" },
    ...PAGING,
    ...SOURCE_RULES,
  ],
  Get_Property_Data: [
    ...addressRules("address."),
    { path: "unit.inResearch", shows: flag(/under investigation/i, /whether the register data is under investigation/i) },
    { path: "unit.surfaceM2", shows: nullAs(/unknown m²/i) },
    { path: "unit.dwellingType", shows: ifPresent },
    { path: "buildYear", shows: nullAs(/no build year/i) },
    { path: "parcel", shows: nullAs(/parcel: (none linked|unknown)/i) },
    { path: "parcel.areaM2", shows: nullAs(/unknown m²/i) },
    { path: "parcel.designation", shows: ifPresent },
    { path: "parcel.source.synthetic", shows: (v, text) => (v === true ? (/synthetic/i.exec(text)?.[0] ?? null) : true) },
    { path: "monument", shows: nullAs(/not a rijksmonument|rijksmonument: unknown/i) },
    { path: "monument.url", shows: (v, text) => (v === null ? true : defaultEvidence(v, text)) },
    { path: "monument.source.synthetic", shows: (v, text) => (v === true ? (/synthetic/i.exec(text)?.[0] ?? null) : true) },
    ...SOURCE_RULES,
  ],
  Get_Property_Energy_Label: [
    ...addressRules("address."),
    UNIT_OF_ADDRESS,
    { path: "current", shows: nullAs(NO_LABEL) },
    { path: "current.id", exempt: "the EP-Online registration's record id; class, dates and method identify the label" },
    { path: "history[].id", exempt: "the EP-Online registration's record id; class, dates and method identify the label" },
    { path: "current.ep2KwhM2", shows: ifPresent },
    { path: "current.energyIndex", shows: ifPresent },
    { path: "history[].ep2KwhM2", shows: ifPresent },
    { path: "history[].energyIndex", shows: ifPresent },
    { path: "current.inspectedAt", shows: ifPresent },
    { path: "current.calculationType", shows: ifPresent },
    { path: "current.buildingType", shows: ifPresent },
    { path: "history[].inspectedAt", shows: ifPresent },
    { path: "history[].calculationType", shows: ifPresent },
    { path: "history[].buildingType", shows: ifPresent },
    {
      path: "validity.status",
      shows: (v, text) => (v === "none" ? (/no registered energy label/i.exec(text)?.[0] ?? null) : defaultEvidence(v, text)),
    },
    { path: "validity.validUntil", shows: nullAs(NO_LABEL) },
    { path: "validity.ageYears", shows: nullAs(NO_LABEL) },
    { path: "substituteLabelForBuildYear", shows: nullAs(/no WWS substitute label/i) },
    { path: "noSubstituteLabelReason", shows: ifPresent },
    ...SOURCE_RULES,
  ],
  Analyze_Property_Location: [
    ...addressRules("address."),
    UNIT_OF_ADDRESS,
    ...RISK("flags"),
    { path: "neighbourhood", shows: nullAs(/no neighbourhood statistics|neighbourhood statistics are unknown/i) },
    { path: "neighbourhood.foundationRiskArea", shows: flag(/foundation risk area: yes/i, /foundation risk area: unknown/i) },
    ...SOURCE_RULES,
  ],
  Quick_Assess_Property: [...assessmentRules(""), ...SOURCE_RULES],
  Calculate_Rent_Points: [
    ...addressRules("address."),
    UNIT_OF_ADDRESS,
    { path: "totalPoints", shows: nullAs(/no total|total unknown|outside the WWS/i) },
    { path: "pointsRange", shows: nullAs(/no total|total unknown|outside the WWS/i) },
    { path: "pointsAtLeast", shows: nullAs(/total unknown|outside the WWS/i) },
    { path: "sector", shows: nullAs(/no total|total unknown|outside the WWS/i) },
    { path: "maxRentEur", shows: nullAs(/maximum kale huur: (none|unknown)|outside the WWS/i) },
    // A rubriek without a table: its points were given (by the user or as pandgate's stated default), not counted.
    { path: "rubrieken[].tableVersion", shows: nullAs(/not counted|as you counted them|not available/i) },
    { path: "rubrieken[].max", shows: nullAs(/: unknown/i) },
    { path: "rubrieken[].min", shows: nullAs(/: unknown/i) },
    { path: "whatIf", shows: (v) => (v === null ? true : null) },
    { path: "rijksmonument", shows: nullAs(/outside the WWS/i) },
    { path: "whatIf.totalPoints", shows: nullAs(/what if label \S+: [^\n]*(total unknown|at least)/i) },
    { path: "whatIf.pointsRange", shows: nullAs(/what if label \S+: [^\n]*(total unknown|at least)/i) },
    { path: "whatIf.pointsAtLeast", shows: nullAs(/what if label \S+: [^\n]*total unknown|what if label \S+: [^\n]*points \(/i) },
    { path: "whatIf.sector", shows: nullAs(/what if label \S+: [^\n]*(total unknown|at least)/i) },
    { path: "whatIf.maxRentEur", shows: nullAs(/maximum rent none|what if label \S+: [^\n]*(total unknown|at least)/i) },
    {
      path: "whatIf.energyPointsChange",
      shows: (v, text) =>
        v === null
          ? true
          : typeof v === "number"
            ? (new RegExp(`energy rubriek (adds|takes) ${Math.abs(v)} points`, "i").exec(text)?.[0] ?? null)
            : null,
    },
    ...SOURCE_RULES,
  ],
  Get_Assessed_Properties: [
    ...PAGING,
    { path: "properties[].valueMid", shows: nullAs(/no value/i) },
    { path: "properties[].energyLabel", shows: nullAs(/label none/i) },
  ],
  Get_Property_Assessments: [...assessmentRules("assessments[].result.")],
  Delete_Property_Assessment: [{ path: "deleted", shows: (v, text) => (v === true ? (/deleted/i.exec(text)?.[0] ?? null) : null) }],
  Get_Tenant_Assessments: [
    ...PAGING,
    { path: "assessments[].valueMid", shows: nullAs(/no value/i) },
    { path: "assessments[].energyLabel", shows: nullAs(/label none/i) },
    {
      path: "assessments[].owner.recorded",
      shows: (v, text) => (v === true ? true : (/saved before names were recorded/i.exec(text)?.[0] ?? null)),
    },
    { path: "assessments[].owner.name", shows: nullAs(/no (name|name or e-mail) given|saved before names were recorded/i) },
    { path: "assessments[].owner.email", shows: nullAs(/no (e-mail|name or e-mail) given|saved before names were recorded/i) },
  ],
  Assess_Portfolio: [
    { path: "duplicatesDropped", shows: zeroSilent },
    {
      path: "message",
      // With the summary, the text is the summary; its first line says the job, its state and counts.
      shows: (v, text, root) => (at(root, "summary") === null ? defaultEvidence(v, text) : true),
    },
    { path: "summary", shows: (v) => (v === null ? true : null) },
    ...JOB_RULES.map((r) => ({ ...r, path: `summary.${r.path}` })),
    ...countsRules("summary."),
    ...sectorRule("summary."),
  ],
  Get_Portfolio_Status: [...JOB_RULES],
  Get_Portfolio_Result: [...JOB_RULES, ...countsRules(""), ...sectorRule("")],
  Cancel_Portfolio: [...JOB_RULES],
  Get_Audit_Log: [
    { path: "events[].id", exempt: "the event's storage id; its time, kind, actor and request id identify it" },
    { path: "nextCursor", shows: ifPresent },
  ],
};

/** The rules of `tool`; a tool with none listed is checked by the defaults alone. */
export function rulesFor(tool: string): ParityRule[] {
  return [...(PARITY_RULES[tool] ?? []), ...GAP_RULES];
}
