import { z } from "zod";
import { SCOPE_READ, SCOPE_WRITE } from "../../auth/scopes";
import { UPLOAD_COLUMNS } from "../../uploads/store";
import type { ToolSpec } from "../catalog";

const uploadInput = z.object({});

const uploadOutput = z.object({
  uploadId: z.string().describe("The upload's id: give it to Assess_Portfolio as uploadId once the file is sent."),
  uploadUrl: z
    .string()
    .describe(
      "Where the spreadsheet goes: an HTTP PUT of a CSV or .xlsx file to this URL (e.g. curl -T stock.xlsx '<uploadUrl>'), or open it in a browser to choose the file (sign-in as the same user). Single-use and secret: anyone with it can send one file.",
    ),
  expiresAt: z.string().describe("When the link stops taking a file (ISO 8601, UTC)."),
  maxRows: z.number().describe("Most address rows one file may have."),
  maxBytes: z.number().describe("Largest file accepted, in bytes."),
  columns: z
    .record(z.string(), z.string())
    .describe(
      "The address columns a file may have, by name, with the Dutch spellings also read: addressId, or postcode + houseNumber (+ letter, addition). Other columns are ignored. Headers are matched ignoring case, spaces and punctuation.",
    ),
});

export const createPortfolioUpload: ToolSpec<typeof uploadInput, typeof uploadOutput> = {
  name: "Create_Portfolio_Upload",
  title: "Upload a spreadsheet of addresses",
  description:
    "Gives a single-use link, valid for a short time, to send a spreadsheet (CSV or .xlsx) of up to the server's limit of address rows (50 000 unless set lower; the answer gives it as maxRows) for a portfolio job: by HTTP PUT, or opened in a browser, where the signed-in user chooses the file. The file's first row names its columns: addressId (the BAG nummeraanduiding id), or postcode and houseNumber (huisnummer), with letter (huisletter) and addition (toevoeging) if any; other columns are ignored. Rows that name no address, malformed ones, formulas and repeats are reported with their row numbers when the file arrives, before any work starts. Then start the job with Assess_Portfolio and the uploadId.",
  input: uploadInput,
  output: uploadOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  requiredScopes: [SCOPE_READ, SCOPE_WRITE],
  async run(_args, ctx) {
    const { identity } = ctx.caller;
    const created = await ctx.services.uploads.create({ userKey: identity.userKey, tenantId: identity.tenantId });
    return { ...created, columns: { ...UPLOAD_COLUMNS } };
  },
  render(r) {
    const mib = Math.floor(r.maxBytes / (1024 * 1024));
    return [
      `Upload link for your spreadsheet (CSV or .xlsx, up to ${r.maxRows} address rows and ${mib} MiB, ${r.maxBytes} bytes), valid until ${r.expiresAt.slice(0, 16).replace("T", " ")} UTC, for one file:`,
      r.uploadUrl,
      "Open it in a browser and choose the file (you sign in as yourself), or send it with an HTTP PUT, e.g. curl -T portfolio.xlsx followed by the link in quotes. Keep the link to yourself: it takes one file from whoever has it.",
      "The first row names the columns (case, spaces and punctuation do not matter; other columns are ignored):",
      ...Object.entries(r.columns).map(([column, meaning]) => `- ${column}: ${meaning}`),
      "Give addressId, or postcode and houseNumber. Rows that cannot be read are listed with their row numbers as soon as the file arrives, and nothing starts until the file is right.",
      `Upload id: ${r.uploadId}. When the file is accepted, start the assessment with Assess_Portfolio and this uploadId.`,
    ].join("\n");
  },
};
