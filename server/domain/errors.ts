import { ERROR_CODES, type ErrorCode } from "../../lib/contract";
import type { RateLimiter } from "./ports";

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

/**
 * `instanceof AppError` fails across module copies (Next's route handlers load
 * their own copy of this file), so check the shape instead.
 */
export function isAppError(err: unknown): err is AppError {
  if (!(err instanceof Error) || err.name !== "AppError") return false;
  const code: unknown = (err as Error & { code?: unknown }).code;
  return typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code);
}

export const notFound = (what: string) => new AppError("not_found", `${what} not found`);
export const forbidden = (message = "You are not a member of this room") => new AppError("forbidden", message);
export const unavailable = (message = "The database is unavailable. Try again shortly.") =>
  new AppError("unavailable", message);

/** Consumes a point; throws `rate_limited` with the wait when there is none. */
export async function enforce(limiter: RateLimiter, key: string, what: string): Promise<void> {
  const result = await limiter.consume(key);
  if (!result.allowed) {
    const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    throw new AppError("rate_limited", `Too many ${what}. Try again in ${seconds} s.`);
  }
}
