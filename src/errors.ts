import { describeError, type LogFields, log } from "./log";

/**
 * The one error model. A `UserError` is a refusal or bad input the person can act on: its
 * message is written for them and shown as it is. Anything else that is thrown is unexpected:
 * it is logged (name and message, never a stack) with the request or job it happened in, and
 * the person is told only that it failed and where it was logged.
 */
export class UserError extends Error {
  override name = "UserError";

  /** The text shown to the person. */
  get userMessage(): string {
    return this.message;
  }
}

/** A live register failed (timeout, 5xx, malformed answer) or is not configured; `register` names which. */
export class RegisterError extends UserError {
  override name = "RegisterError";
  constructor(
    readonly register: string,
    message: string,
  ) {
    super(message);
  }

  override get userMessage(): string {
    return `${this.message} (register: ${this.register})`;
  }
}

/** Where an error happened: the log event, the id the person can quote, and safe extra fields. */
export interface ErrorContext {
  event: string;
  /** "request id …" or "job …": quoted back to the person for an unexpected error. */
  reference: string;
  fields?: LogFields;
}

/**
 * What the person sees for any thrown value: a `UserError`'s own message, or for anything else
 * a generic line naming `what` failed and where it was logged (the error itself is logged here).
 */
export function userFacingMessage(error: unknown, what: string, context: ErrorContext): { message: string; expected: boolean } {
  if (error instanceof UserError) return { message: error.userMessage, expected: true };
  log("error", context.event, { ...context.fields, reference: context.reference, error: describeError(error) });
  return { message: `${what} failed unexpectedly; the error was logged with ${context.reference}. Please try again.`, expected: false };
}
