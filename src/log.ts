/**
 * Structured logs: one JSON object per line. Callers pass only facts that are safe to keep;
 * tokens, codes, cookies and secrets never go in here.
 */
type Level = "info" | "warn" | "error";

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export function log(level: Level, event: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ level, event, time: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** An unexpected error as a short line: its name and message, never its stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return typeof error;
}
