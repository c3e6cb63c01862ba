import { z } from "zod";
import { SCOPE_READ, SCOPE_WRITE } from "../../src/auth/scopes";
import { RegisterError } from "../../src/data/types";
import type { ToolSpec } from "../../src/mcp/catalog";
import { catalog } from "../../src/mcp/tools";

/**
 * Tools the tests add to the real catalog (the Worker and the tests share one isolate), to drive
 * mechanisms no shipped tool exercises yet: a write scope and multi-step progress.
 */
const writeProbe: ToolSpec<z.ZodObject<{ note: z.ZodString }>, z.ZodObject<{ stored: z.ZodString }>> = {
  name: "Test_Write_Probe",
  title: "Write probe (tests only)",
  description: "Echoes a note; needs mcp:write.",
  input: z.object({ note: z.string() }),
  output: z.object({ stored: z.string() }),
  annotations: { readOnlyHint: false },
  requiredScopes: [SCOPE_READ, SCOPE_WRITE],
  async run({ note }) {
    return { stored: note };
  },
  render: (r) => `stored ${r.stored}`,
};

const progressProbe: ToolSpec<z.ZodObject<{ steps: z.ZodNumber }>, z.ZodObject<{ steps: z.ZodNumber; reported: z.ZodBoolean }>> = {
  name: "Test_Progress_Probe",
  title: "Progress probe (tests only)",
  description: "Reports `steps` progress steps, then returns.",
  input: z.object({ steps: z.number().int().min(1).max(20) }),
  output: z.object({ steps: z.number(), reported: z.boolean() }),
  annotations: { readOnlyHint: true },
  requiredScopes: [SCOPE_READ],
  async run({ steps }, { progress }) {
    for (let i = 1; i <= steps; i++) {
      await progress.report(i, steps, `step ${i} of ${steps}`);
      // a step that does not move forward must never reach the client
      await progress.report(i, steps, "duplicate");
    }
    return { steps, reported: progress.enabled };
  },
  render: (r) => `${r.steps} steps`,
};

const noInput = z.object({});
const okOutput = z.object({ ok: z.boolean() });

const registerFailure: ToolSpec<typeof noInput, typeof okOutput> = {
  name: "Test_Register_Failure",
  title: "Register failure probe (tests only)",
  description: "Fails the way a live register call fails.",
  input: noInput,
  output: okOutput,
  annotations: { readOnlyHint: true },
  requiredScopes: [SCOPE_READ],
  async run() {
    throw new RegisterError("ep-online", "EP-Online did not answer in time; try again later.");
  },
  render: () => "",
};

const unexpectedFailure: ToolSpec<typeof noInput, typeof okOutput> = {
  name: "Test_Unexpected_Failure",
  title: "Unexpected failure probe (tests only)",
  description: "Throws an error with a secret-looking message.",
  input: noInput,
  output: okOutput,
  annotations: { readOnlyHint: true },
  requiredScopes: [SCOPE_READ],
  async run() {
    throw new Error("connection string postgres://admin:hunter2@db/internal failed");
  },
  render: () => "",
};

export function installProbeTools(): void {
  if (!catalog.get(registerFailure.name)) catalog.add(registerFailure);
  if (!catalog.get(unexpectedFailure.name)) catalog.add(unexpectedFailure);
  if (!catalog.get(writeProbe.name)) catalog.add(writeProbe);
  if (!catalog.get(progressProbe.name)) catalog.add(progressProbe);
}
