// Stable, machine-readable error codes. Clients branch on `code`; `message` is
// for people. Never rename a code: forks and bots depend on them.
export const ERROR_CODES = [
  "unauthorized", // no valid session/token
  "forbidden", // authenticated, but not allowed (e.g. not a member)
  "not_found", // the room or message does not exist (or is invisible to you)
  "invalid_payload", // the payload failed validation
  "too_large", // body over the size limit
  "conflict", // e.g. a room name already taken, a clientId reused for another room
  "rate_limited", // slow down
  "muted", // you may read but not write in this room right now
  "banned", // you are banned from this room
  "unavailable", // a dependency (the database) is down: retry later (a send may have been stored; resending it with the same clientId is safe)
  "internal", // a bug: logged on the server with details
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/** Codes after which retrying the same request can succeed. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set(["unavailable", "rate_limited", "internal"]);

/** Human-readable text for each code, used when the server sent none or for UI copy. */
export const ERROR_TEXT: Record<ErrorCode, string> = {
  unauthorized: "You are signed out. Sign in again.",
  forbidden: "You are not allowed to do that here.",
  not_found: "That no longer exists.",
  invalid_payload: "That request was not valid.",
  too_large: "That message is too long.",
  conflict: "That conflicts with something that already exists.",
  rate_limited: "You are sending too fast. Wait a moment.",
  muted: "You are muted in this room.",
  banned: "You are banned from this room.",
  unavailable: "The server is temporarily unavailable. Retrying…",
  internal: "Something went wrong on our side.",
};
