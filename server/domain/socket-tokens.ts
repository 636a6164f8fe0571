// Short-lived tokens that authenticate a socket. The browser fetches one from
// GET /api/token (session cookie) at every (re)connect; scripts POST their
// credentials to /api/token. Signed with a key derived from AUTH_SECRET, so a
// socket token is useless as a session cookie and vice versa.
//
// PERFORMANCE (bench/, issue 6): verification runs on every socket handshake.
// fast-jwt verifies HS256 synchronously with node:crypto in ~11 µs of CPU here;
// jose goes through WebCrypto's async job queue and took ~120 µs, a tenth of
// Parley's whole per-connection cost in a connect storm.
import { createHash } from "node:crypto";
import { createSigner, createVerifier } from "fast-jwt";
import { AppError } from "./errors";
import type { UserRole } from "./ports";

const AUDIENCE = "parley:socket";

export interface SocketIdentity {
  id: string;
  name: string;
  role: UserRole;
}

export interface IssuedToken {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** The signing key of socket tokens for an AUTH_SECRET (exported for tests that forge tokens). */
export function socketTokenKey(secret: string): Buffer {
  return createHash("sha256").update(`parley-socket-token:${secret}`).digest();
}

export function createSocketTokens(options: { secret: string; ttlSeconds: number }) {
  const key = socketTokenKey(options.secret);
  const sign = createSigner({ key, algorithm: "HS256", aud: AUDIENCE });
  // Only HS256 with our key: a token claiming `alg: none` or another algorithm is
  // refused. Expiry (`exp`) is checked by default, to the second.
  const verify = createVerifier({ key, algorithms: ["HS256"], allowedAud: AUDIENCE, requiredClaims: ["sub", "exp"] });
  const invalid = () => new AppError("unauthorized", "The token is invalid or expired; fetch a new one");
  return {
    ttlSeconds: options.ttlSeconds,

    async issue(user: SocketIdentity): Promise<IssuedToken> {
      const nowSeconds = Math.floor(Date.now() / 1000);
      const exp = nowSeconds + options.ttlSeconds;
      const token = sign({ sub: user.id, name: user.name, role: user.role, iat: nowSeconds, exp });
      return { token, expiresAt: exp * 1000 };
    },

    /** The identity in a valid token; AppError("unauthorized") otherwise. */
    async verify(token: unknown): Promise<SocketIdentity & { expiresAt: number }> {
      if (typeof token !== "string" || token.length === 0) {
        throw new AppError("unauthorized", "A token is required: pass auth: { token } in the handshake");
      }
      let payload: { sub?: unknown; name?: unknown; role?: unknown; exp?: unknown };
      try {
        payload = verify(token) as typeof payload;
      } catch {
        throw invalid();
      }
      if (typeof payload.sub !== "string" || typeof payload.name !== "string" || typeof payload.exp !== "number") {
        throw invalid();
      }
      const role = payload.role === "ADMIN" ? "ADMIN" : "USER";
      return { id: payload.sub, name: payload.name, role, expiresAt: payload.exp * 1000 };
    },
  };
}
export type SocketTokens = ReturnType<typeof createSocketTokens>;
