import {
  completable,
  type GetPromptResult,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  UriTemplate,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import type { AddressCandidate } from "../data/search";
import type { Services } from "../data/services";
import { MAX_ADDRESS_QUERY, parseAddressQuery, parsePostcode } from "../domain/address-input";
import { describeError, log } from "../log";

/**
 * Guided workflows as MCP prompts: each names the tools to call, in order, and what to report,
 * for the client's own model to follow (pandgate runs no model). Their address and postcode
 * arguments, and the property template's address id, are completed (`completion/complete`) from
 * the address search Search_Addresses uses: FTS5 in D1 on the synthetic dataset, the PDOK
 * Locatieserver when live.
 */

/** Completion values per answer: what a picker shows while the person types. */
export const COMPLETION_MAX = 10;
/** Fewer characters than this complete to nothing (too broad to be useful, and a search each). */
const MIN_TYPED = 2;

async function candidates(services: Services, typed: string, limit: number): Promise<AddressCandidate[]> {
  const parsed = parseAddressQuery(typed.slice(0, MAX_ADDRESS_QUERY));
  if (!parsed.ok || (parsed.value.words.length === 0 && parsed.value.postcode === null)) return [];
  try {
    return (await services.search.search(parsed.value, limit)).candidates;
  } catch (error) {
    // A register that cannot answer leaves the list empty; typing goes on.
    log("warn", "completion_search_failed", { error: describeError(error) });
    return [];
  }
}

function candidateLabel(c: AddressCandidate): string {
  const number = `${c.houseNumber}${c.houseLetter ?? ""}${c.houseNumberAddition ? `-${c.houseNumberAddition}` : ""}`;
  const pc = c.postcode ? `${c.postcode.slice(0, 4)} ${c.postcode.slice(4)} ` : "";
  return `${c.street} ${number}, ${pc}${c.place}`;
}

/** Addresses, as "Street 1, 1234 AB Place", for free text typed so far. */
export async function completeAddress(services: Services, value: string): Promise<string[]> {
  if (value.trim().length < MIN_TYPED) return [];
  return [...new Set((await candidates(services, value, COMPLETION_MAX)).map(candidateLabel))];
}

/** BAG address ids for free text typed so far (a whole id completes to itself). */
export async function completeAddressIds(services: Services, value: string): Promise<string[]> {
  const typed = value.trim();
  if (/^\d{16}$/.test(typed)) return [typed];
  if (typed.length < MIN_TYPED) return [];
  return (await candidates(services, typed, COMPLETION_MAX)).map((c) => c.id);
}

/**
 * Postcodes ("1234AB") beginning with what has been typed ("3817", "3817 a"): the distinct
 * postcodes among the addresses the search finds for it as a word prefix (the D1 index holds each
 * postcode and its four digits; the Locatieserver searches postcodes too).
 */
export async function completePostcode(services: Services, value: string): Promise<string[]> {
  const typed = value.replace(/\s+/g, "").toUpperCase();
  // Two to four digits, then (only after all four) up to two letters: "32A" begins no postcode.
  if (!/^[1-9][0-9]{1,2}$|^[1-9][0-9]{3}[A-Z]{0,2}$/.test(typed)) return [];
  const query = { text: typed, words: [typed.toLowerCase()], postcode: null, houseNumber: null };
  let found: AddressCandidate[] = [];
  try {
    found = (await services.search.search(query, 100)).candidates;
  } catch (error) {
    log("warn", "completion_search_failed", { error: describeError(error) });
  }
  const postcodes = found.flatMap((c) => (c.postcode?.startsWith(typed) ? [c.postcode] : []));
  return [...new Set(postcodes)].sort().slice(0, COMPLETION_MAX);
}

const addressArg = (services: Services, what: string) =>
  completable(
    z
      .string()
      .trim()
      .min(3, "give the address: street, number and place, or postcode and number")
      .max(MAX_ADDRESS_QUERY, `at most ${MAX_ADDRESS_QUERY} characters`)
      .describe(what),
    (value) => completeAddress(services, value),
  );

const postcodeArg = (services: Services, what: string) =>
  completable(
    z
      .string()
      .trim()
      .refine((v) => parsePostcode(v).ok, "a Dutch postcode is four digits and two letters, e.g. 3817AC")
      .describe(what),
    (value) => completePostcode(services, value),
  );

/** What every workflow reminds the model of: pandgate's answers are indications with sources. */
const HONESTY = [
  "Rules for the report:",
  "- Give every number with its source and period as the tool answers name them (register, table, retrieval date); say when the data is synthetic.",
  "- Value ranges are indications, not valuations: say so, and give the range with its basis rather than one number.",
  "- Where a tool says a fact is unknown, missing or that a register could not answer, say it is unknown; do not fill it in.",
].join("\n");

function ask(text: string): GetPromptResult {
  return { messages: [{ role: "user", content: { type: "text", text: `${text}\n\n${HONESTY}` } }] };
}

/** Registers the guided workflows on `server`; their completers search with this request's services. */
export function registerPrompts(server: McpServer, services: Services): void {
  server.registerPrompt(
    "property_due_diligence",
    {
      title: "Property due diligence",
      description:
        "Checks one property end to end: register facts, energy label, location, an indicative assessment (saved), and a due-diligence report with risks and missing data.",
      argsSchema: z.object({
        address: addressArg(services, 'The property\'s address: "Street 1, 1234 AB Place", or postcode and house number.'),
      }),
    },
    ({ address }) =>
      ask(
        [
          `Carry out a due-diligence check of the property at: ${address}`,
          "",
          "Steps (pandgate tools):",
          `1. Search_Addresses with query "${address}"; take the addressId of the candidate that is exactly this address. If none is exact, show the candidates and ask which one is meant before going on.`,
          "2. Get_Property_Data with that addressId: use, usable area, building(s) and build year, status, cadastral parcel, monument status.",
          "3. Get_Property_Energy_Label: the label, its validity date and how it was determined.",
          "4. Analyze_Property_Location: neighbourhood figures and location flags (flood, noise, foundation areas as the tool gives them).",
          "5. Quick_Assess_Property: the indicative value range with its basis, risks and missing data; it is saved (give the assessment id).",
          "",
          "Report, under these headings: Property (what and where), Register facts, Energy label, Location, Indicative value (range, basis, neighbourhood check), Risks and flags (each with its source), Missing or unknown data, and Next steps for a valuer.",
        ].join("\n"),
      ),
  );

  server.registerPrompt(
    "portfolio_review",
    {
      title: "Portfolio review",
      description:
        "Reviews a portfolio: either one of your ended portfolio jobs (jobId) or all addresses at a postcode (assessed as a new background job), reporting label distribution, value bands, risk flags and failures.",
      argsSchema: z.object({
        jobId: z
          .string()
          .trim()
          .regex(/^[0-9a-fA-F-]{36}$/, "a job id is the UUID Assess_Portfolio returned")
          .optional()
          .describe("An existing portfolio job's id (from Assess_Portfolio). Give this or postcode."),
        postcode: postcodeArg(
          services,
          "A postcode whose addresses are all assessed as a new portfolio job. Give this or jobId.",
        ).optional(),
      }),
    },
    ({ jobId, postcode }) => {
      const start =
        jobId !== undefined
          ? [
              `1. Get_Portfolio_Status with jobId "${jobId}". If it is still running, say how far it is and wait (call it again) until it has ended.`,
              `2. Get_Portfolio_Result with jobId "${jobId}" (also readable as the resource pandgate://portfolios/${jobId}/report/markdown).`,
            ]
          : postcode !== undefined
            ? [
                `1. Assess_Portfolio with postcodes ["${postcode}"]: it starts a background job and returns its jobId (every assessment is saved).`,
                "2. Get_Portfolio_Status with that jobId until the job has ended, then Get_Portfolio_Result with it.",
              ]
            : [
                "1. Ask which portfolio to review: the id of an earlier portfolio job, or the addresses or postcodes to assess (Assess_Portfolio).",
                "2. Once the job has ended, Get_Portfolio_Result with its jobId.",
              ];
      return ask(
        [
          "Review this property portfolio.",
          "",
          "Steps (pandgate tools):",
          ...start,
          "3. For the properties with the most risk flags or without a value, Get_Property_Assessments with their assessment ids for the details.",
          "",
          "Report: how many addresses were assessed and how many failed (with the reasons), the energy-label distribution (share with label C or better, share without a registered label), the value-band distribution of the indicative midpoints, the risk flags by kind, the properties that need attention first and why, and the download links for the full result (CSV and Excel; say until when they work).",
        ].join("\n"),
      );
    },
  );

  server.registerPrompt(
    "sustainability_scan",
    {
      title: "Sustainability scan",
      description:
        "Scans the energy labels of all addresses at a postcode (or of one address): label per address, validity, missing labels, and where improvement matters most.",
      argsSchema: z.object({
        postcode: postcodeArg(services, "The postcode to scan, e.g. 3817AC."),
        houseNumber: z
          .string()
          .trim()
          .regex(/^\d{1,5}$/, "a house number is 1 to 5 digits")
          .optional()
          .describe("Only this house number at the postcode (optional)."),
      }),
    },
    ({ postcode, houseNumber }) =>
      ask(
        [
          `Carry out a sustainability scan of ${houseNumber !== undefined ? `house number ${houseNumber} at postcode ${postcode}` : `the addresses at postcode ${postcode}`}.`,
          "",
          "Steps (pandgate tools):",
          `1. Get_Addresses_for_Postcode with postcode "${postcode}"${houseNumber !== undefined ? ` and houseNumber ${houseNumber}` : ""}: the addresses and their addressIds.`,
          "2. Get_Property_Energy_Label for each address (up to 25; for more, Assess_Portfolio with the postcode gives the label counts of all of them).",
          "3. Get_Property_Data for the addresses without a registered label or with label D or worse: build year and usable area.",
          "",
          "Report: a table of address, energy label (or none), registration and validity dates, build year and area; the label distribution; which labels expire within two years or have expired; the addresses without a registered label and the WWS substitute label for their build year where the tool gives one (a rent-points rule, not a prediction); and which addresses would gain most from improvement, with the reason.",
        ].join("\n"),
      ),
  );

  server.registerPrompt(
    "compare_properties",
    {
      title: "Compare two properties",
      description: "Compares two properties side by side: register facts, energy label, location, indicative value and risks.",
      argsSchema: z.object({
        firstAddress: addressArg(services, "The first property's address."),
        secondAddress: addressArg(services, "The second property's address."),
      }),
    },
    ({ firstAddress, secondAddress }) =>
      ask(
        [
          `Compare these two properties: (1) ${firstAddress} and (2) ${secondAddress}.`,
          "",
          "Steps (pandgate tools), for each of the two:",
          "1. Search_Addresses with the address; take the exact candidate's addressId (if none is exact, ask which is meant).",
          "2. Get_Property_Data, Get_Property_Energy_Label and Analyze_Property_Location with that addressId.",
          "3. Quick_Assess_Property with that addressId (saved; give the assessment ids).",
          "",
          "Report: one table with a column per property and rows for use, usable area, build year, energy label (with validity), neighbourhood and its average WOZ, indicative value range and value per m², risks and flags, and missing data; then the main differences in a few sentences, and which facts would need checking on site.",
        ].join("\n"),
      ),
  );
}

/** Each prompt's arguments by name (test/resources-prompts.test.ts checks them against prompts/list). */
export const PROMPT_ARGUMENTS: Readonly<Record<string, readonly string[]>> = {
  property_due_diligence: ["address"],
  portfolio_review: ["jobId", "postcode"],
  sustainability_scan: ["postcode", "houseNumber"],
  compare_properties: ["firstAddress", "secondAddress"],
};

type CompleteHandler = (request: unknown, ctx: unknown) => Promise<unknown>;

/**
 * Puts a check in front of the SDK's `completion/complete`, which answers an argument or
 * template variable it does not know with an empty list: here that is a -32602 naming what
 * exists, so a client's mistake is not mistaken for "no matches". Unknown prompts and templates
 * the SDK refuses itself (-32602 "… not found").
 */
export function checkCompletionArguments(server: McpServer): void {
  const inner = server.server as unknown as { _getRequestHandler(method: string): CompleteHandler | undefined };
  const sdkComplete = inner._getRequestHandler("completion/complete");
  if (!sdkComplete) return;
  server.server.setRequestHandler("completion/complete", async (request, ctx) => {
    const { ref, argument } = request.params;
    const name = argument.name;
    if (ref.type === "ref/prompt") {
      const known = PROMPT_ARGUMENTS[ref.name];
      if (known && !known.includes(name)) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `Prompt ${ref.name} has no argument "${name}"; its arguments are ${known.join(", ")}`,
        );
      }
    } else if (ref.type === "ref/resource" && ref.uri.startsWith("pandgate://") && UriTemplate.isTemplate(ref.uri)) {
      const variables = new UriTemplate(ref.uri).variableNames;
      if (!variables.includes(name)) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `Resource template ${ref.uri} has no variable "${name}"; its variables are ${variables.join(", ")}`,
        );
      }
    }
    return (await sdkComplete(request, ctx)) as never;
  });
}
