import type { ErrorCode } from "../../lib/contract";

/**
 * An expected failure with a stable code. Handlers turn it into an error ack;
 * anything else that is thrown is a bug and becomes `internal` (and is logged).
 */
export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new AppError("not_found", `${what} not found`);
export const forbidden = (message = "You are not a member of this room") => new AppError("forbidden", message);
export const unavailable = (message = "The database is unavailable; nothing was stored. Try again.") =>
  new AppError("unavailable", message);
