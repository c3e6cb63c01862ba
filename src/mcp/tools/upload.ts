import { z } from "zod";
import { SCOPE_READ, SCOPE_WRITE } from "../../auth/scopes";
import { UPLOAD_COLUMNS } from "../../uploads/store";
import type { ToolSpec } from "../catalog";

const uploadInput = z.object({});

const uploadOutput = z.object({
  uploadId: z.string().describe("For Assess_Portfolio once the file is sent."),
  uploadUrl: z.string().describe("PUT the file here or open it in a browser; single-use, secret."),
  expiresAt: z.string(),
  maxRows: z.number(),
  maxBytes: z.number(),
  columns: z.record(z.string(), z.string()).describe("Accepted address columns."),
});

export const createPortfolioUpload: ToolSpec<typeof uploadInput, typeof uploadOutput> = {
  name: "Create_Portfolio_Upload",
  title: "Upload a spreadsheet of addresses",
  description:
    "A single-use link to send a CSV or .xlsx of addresses. Use when they are in a spreadsheet; then Assess_Portfolio with the uploadId.",
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
