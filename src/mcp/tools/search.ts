import { z } from "zod";
import { SCOPE_READ } from "../../auth/scopes";
import type { AddressCandidate, AddressSearch } from "../../data/search";
import { type AddressQuery, formatHouseNumber, MAX_ADDRESS_QUERY, parseAddressQuery } from "../../domain/address-input";
import { UserError } from "../../errors";
import type { ToolSpec } from "../catalog";
import { SourcesOut, sourcesNote, sourcesOf } from "./shared";

const READ_ONLY = { readOnlyHint: true, openWorldHint: false, idempotentHint: true } as const;

const searchInput = z.object({
  query: z
    .string()
    .max(MAX_ADDRESS_QUERY + 50)
    .describe('Free text, e.g. "Keizersgracht 123 Amsterdam", "3817AC 1".'),
  limit: z.number().int().min(1).max(25).default(10),
});

const CandidateOut = z.object({
  rank: z.number().describe("1 = best match."),
  addressId: z.string().describe("BAG address (nummeraanduiding) id: pass it as addressId to any property tool."),
  label: z.string(),
  street: z.string(),
  houseNumber: z.number(),
  houseLetter: z.string().nullable(),
  houseNumberAddition: z.string().nullable(),
  postcode: z.string().nullable().describe("Null for the few BAG addresses without a postcode."),
  place: z.string(),
  municipality: z.string().nullable(),
  score: z.number().describe("Relevance, higher is better; comparable within one answer only."),
  exactNumber: z.boolean().describe("Whether house number, letter and addition are exactly those searched for."),
});

const searchOutput = z.object({
  query: z.string(),
  total: z.number(),
  candidates: z.array(CandidateOut),
  note: z.string().nullable().describe("Advice when not exact or not unique."),
  suggestions: z.array(z.string()).describe("When nothing matched: what to try instead."),
  sources: SourcesOut,
});

function label(c: AddressCandidate): string {
  const pc = c.postcode ? `${c.postcode.slice(0, 4)} ${c.postcode.slice(4)} ` : "";
  return `${c.street} ${formatHouseNumber(c)}, ${pc}${c.place}`;
}

/** Lower case without diacritics, for comparing what was typed with a register's spelling. */
function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * Whether a candidate is exactly the address given: its house number, letter and addition as
 * searched (a search without a number is never exact), the postcode if one was given, and every
 * word the start of a word of its street, place or municipality.
 */
export function isExactHit(c: AddressCandidate, q: AddressQuery): boolean {
  if (!q.houseNumber || !c.exactNumber) return false;
  if (q.postcode !== null && c.postcode !== q.postcode) return false;
  const words = fold(`${c.street} ${c.place} ${c.municipality ?? ""}`).split(/[^\p{L}\p{N}]+/u);
  return q.words.every((w) => words.some((word) => word.startsWith(fold(w))));
}

/** What to try when a search found nothing; with the synthetic dataset, the places it covers and an address in each. */
async function noMatchSuggestions(q: AddressQuery, search: AddressSearch): Promise<string[]> {
  const out = [
    q.postcode
      ? `Check the postcode, or list the addresses at ${q.postcode} with Get_Addresses_for_Postcode.`
      : "Check the spelling, and give the street and place in full.",
    'Try the postcode and house number, e.g. "3817AC 1".',
  ];
  const covered = await search.coverage();
  if (covered !== null && covered.length > 0) {
    const tries = covered.map(
      (p) => `"${p.example.street} ${p.example.houseNumber} ${p.example.place}" or "${p.example.postcode} ${p.example.houseNumber}"`,
    );
    out[1] = `Try the postcode and house number, e.g. "${covered[0]?.example.postcode} ${covered[0]?.example.houseNumber}".`;
    out.push(
      `This server answers from its synthetic demonstration dataset, which covers only ${covered.map((p) => p.municipality).join(", ")}, with fictional streets and postcodes: real addresses are not in it. Try ${tries.join("; ")}.`,
    );
  }
  return out;
}

export const searchAddresses: ToolSpec<typeof searchInput, typeof searchOutput> = {
  name: "Search_Addresses",
  title: "Search addresses",
  description:
    "Ranked Dutch addresses with BAG ids for free text. Use first for an address given as text; for a whole postcode, Get_Addresses_for_Postcode.",
  input: searchInput,
  output: searchOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
  stateless: true,
  requiredScopes: [SCOPE_READ],
  async run({ query, limit }, { services }) {
    const parsed = parseAddressQuery(query);
    if (!parsed.ok) throw new UserError(parsed.error);
    const q = parsed.value;
    if (q.words.length === 0 && q.postcode === null) {
      throw new UserError(
        `"${q.text.slice(0, 40)}" has no street, place or postcode to search for: add them, e.g. "Keizersgracht 123 Amsterdam" or "3817AC 1".`,
      );
    }
    const found = await services.search.search(q, limit);
    if (found.total === 0 || found.candidates.length === 0) {
      const suggestions = await noMatchSuggestions(q, services.search);
      return {
        query: q.text,
        total: 0,
        candidates: [],
        note: `No address matches "${q.text.slice(0, 80)}".`,
        suggestions,
        sources: [],
      };
    }
    const notes: string[] = [];
    const exact = found.candidates.filter((c) => isExactHit(c, q));
    const best = found.candidates[0] as AddressCandidate;
    if (found.withoutNumber && q.houseNumber) {
      notes.push(
        `No address with house number ${formatHouseNumber(q.houseNumber)} matches; these ${found.total} match without it. Check the number.`,
      );
    } else if (q.houseNumber && !best.exactNumber) {
      notes.push(`None of these has exactly house number ${formatHouseNumber(q.houseNumber)}; check the number, letter or addition.`);
    }
    if (exact.length > 1) {
      notes.push(`${exact.length} of these match exactly what was given; add the place or the postcode to choose.`);
    } else if (found.total > found.candidates.length && !isExactHit(best, q)) {
      const add = [q.houseNumber || found.withoutNumber ? null : "the house number", q.words.length > 1 || q.postcode ? null : "the place"]
        .filter((x) => x !== null)
        .join(" and ");
      notes.push(
        `${found.total} addresses match; showing the best ${found.candidates.length}. ${add ? `Add ${add}, or the postcode, to narrow it down.` : "Add the postcode, letter or addition to narrow it down."}`,
      );
    }
    return {
      query: q.text,
      total: found.total,
      candidates: found.candidates.map((c, i) => ({
        rank: i + 1,
        addressId: c.id,
        label: label(c),
        street: c.street,
        houseNumber: c.houseNumber,
        houseLetter: c.houseLetter,
        houseNumberAddition: c.houseNumberAddition,
        postcode: c.postcode,
        place: c.place,
        municipality: c.municipality,
        score: c.score,
        exactNumber: c.exactNumber,
      })),
      note: notes.length > 0 ? notes.join(" ") : null,
      suggestions: [],
      sources: sourcesOf(...found.candidates),
    };
  },
  render(r) {
    if (r.candidates.length === 0)
      return [r.note ?? `No address matches "${r.query}".`, ...r.suggestions.map((x) => `- ${x}`)].join("\n") + sourcesNote(r.sources);
    const lines = r.candidates.map((c) => {
      const notes = [
        c.postcode === null ? "no postcode in BAG" : null,
        c.municipality === null ? "municipality unknown" : c.municipality !== c.place ? `gemeente ${c.municipality}` : null,
        c.exactNumber ? null : "not the number searched for",
      ].filter((x) => x !== null);
      return `${c.rank}. ${c.label} (addressId ${c.addressId})${notes.length > 0 ? ` — ${notes.join("; ")}` : ""}`;
    });
    return `${r.total} address(es) match "${r.query}":\n${lines.join("\n")}${r.note ? `\n${r.note}` : ""}${sourcesNote(r.sources)}`;
  },
};
