import "server-only";
import type { ErrorCode } from "../../lib/contract";
import { AppError, isAppError } from "../domain/errors";
import { getAppContext } from "../registry";

const STATUS: Record<ErrorCode, number> = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  invalid_payload: 400,
  too_large: 413,
  conflict: 409,
  rate_limited: 429,
  muted: 403,
  banned: 403,
  unavailable: 503,
  internal: 500,
};

/** `{ error: { code, message } }` with the matching HTTP status: the same shape as socket acks. */
export function errorResponse(code: ErrorCode, message: string): Response {
  return Response.json({ error: { code, message } }, { status: STATUS[code], headers: { "cache-control": "no-store" } });
}

/** Runs a route handler body; AppErrors become their error response, anything else a logged 500. */
export async function handleRoute(run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    if (isAppError(err)) return errorResponse(err.code, err.message);
    getAppContext().logger.error({ err }, "route handler failed");
    return errorResponse("internal", "Something went wrong on our side");
  }
}

export async function readJson(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    throw new AppError("invalid_payload", "Send a JSON body");
  }
}
