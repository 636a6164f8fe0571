// Fetches the short-lived socket token for the signed-in session (GET /api/token).
// Called by the socket's `auth` function at every (re)connect and before expiry.

export interface SocketToken {
  token: string;
  /** Epoch milliseconds (server clock). */
  expiresAt: number;
  /** Epoch milliseconds (local clock) when the token was received. */
  receivedAt: number;
}

/** The session is gone (or the account suspended): the user must sign in again. */
export class SignedOutError extends Error {
  constructor(readonly reason: "signed_out" | "banned" = "signed_out") {
    super(reason === "banned" ? "Account suspended" : "Signed out");
    this.name = "SignedOutError";
  }
}

async function errorCode(res: Response): Promise<string | null> {
  try {
    const body: unknown = await res.json();
    if (typeof body !== "object" || body === null || !("error" in body)) return null;
    const error = (body as { error: unknown }).error;
    if (typeof error !== "object" || error === null || !("code" in error)) return null;
    const code = (error as { code: unknown }).code;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}

function isTokenBody(value: unknown): value is { token: string; expiresAt: number } {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.token === "string" && v.token.length > 0 && typeof v.expiresAt === "number";
}

export async function fetchSocketToken(): Promise<SocketToken> {
  const res = await fetch("/api/token", {
    method: "GET",
    credentials: "same-origin",
    cache: "no-store",
    headers: { accept: "application/json" },
  });
  if (res.status === 401) throw new SignedOutError();
  if (!res.ok) {
    if ((await errorCode(res)) === "banned") throw new SignedOutError("banned");
    throw new Error(`GET /api/token answered ${res.status}`);
  }
  const body: unknown = await res.json();
  if (!isTokenBody(body)) throw new Error("GET /api/token answered an unexpected body");
  return { token: body.token, expiresAt: body.expiresAt, receivedAt: Date.now() };
}
