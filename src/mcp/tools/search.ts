import { z } from "zod";
import { SCOPE_READ } from "../../auth/scopes";
import type { AddressCandidate } from "../../data/search";
import { formatHouseNumber, MAX_ADDRESS_QUERY, parseAddressQuery } from "../../domain/address-input";
import { UserError } from "../../errors";
import type { ToolSpec } from "../catalog";
import { SourcesOut, sourcesNote, sourcesOf } from "./shared";

const READ_ONLY = { readOnlyHint: true, openWorldHint: false, idempotentHint: true } as const;

const searchInput = z.object({
  query: z
    .string()
    .max(MAX_ADDRESS_QUERY + 50)
    .describe(
      'The address as free text: street + number + place ("Keizersgracht 123 Amsterdam"), postcode + number ("3817AC 1"), or partial ("Polluxstr 1 Amersf"). At most 200 characters.',
    ),
  limit: z.number().int().min(1).max(25).default(10).describe("How many candidates to return, 1–25 (default 10)."),
});

const CandidateOut = z.object({
  rank: z.number().describe("1 = best match."),
  id: z.string().describe("BAG address (nummeraanduiding) id: pass it as addressId to any property tool."),
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
  total: z.number().describe("How many addresses match in all."),
  candidates: z.array(CandidateOut),
  note: z.string().nullable().describe("Advice when the number matched nothing or there are many more matches."),
  sources: SourcesOut,
});

function label(c: AddressCandidate): string {
  const pc = c.postcode ? `${c.postcode.slice(0, 4)} ${c.postcode.slice(4)} ` : "";
  return `${c.street} ${formatHouseNumber(c)}, ${pc}${c.place}`;
}

export const searchAddresses: ToolSpec<typeof searchInput, typeof searchOutput> = {
  name: "Search_Addresses",
  title: "Search addresses",
  description:
    'Finds Dutch addresses from free text — "Keizersgracht 123 Amsterdam", "3817AC 1", partial "Polluxstr 1 Amersf" — and returns ranked candidates with their BAG address ids. Pass a candidate\'s id as addressId to Get_Property_Data, Get_Property_Energy_Label, Analyze_Property_Location, Quick_Assess_Property or Assess_Portfolio.',
  input: searchInput,
  output: searchOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
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
      const hint = q.postcode
        ? "check the postcode, or list the addresses at it with Get_Addresses_for_Postcode"
        : "check the spelling, give the street and place in full or the postcode and house number (e.g. 3817AC 1)";
      throw new UserError(`No address matches "${q.text.slice(0, 80)}"; try again: ${hint}.`);
    }
    const notes: string[] = [];
    if (found.withoutNumber && q.houseNumber) {
      notes.push(
        `No address with house number ${formatHouseNumber(q.houseNumber)} matches; these ${found.total} match without it. Check the number.`,
      );
    }
    if (found.total > found.candidates.length) {
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
        id: c.id,
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
      sources: sourcesOf(...found.candidates),
    };
  },
  render(r) {
    const lines = r.candidates.map((c) => {
      const notes = [
        c.postcode === null ? "no postcode in BAG" : null,
        c.municipality === null ? "municipality unknown" : c.municipality !== c.place ? `gemeente ${c.municipality}` : null,
        c.exactNumber ? null : "not the number searched for",
      ].filter((x) => x !== null);
      return `${c.rank}. ${c.label} (id ${c.id})${notes.length > 0 ? ` — ${notes.join("; ")}` : ""}`;
    });
    return `${r.total} address(es) match "${r.query}":\n${lines.join("\n")}${r.note ? `\n${r.note}` : ""}${sourcesNote(r.sources)}`;
  },
};
