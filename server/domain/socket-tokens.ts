// Short-lived tokens that authenticate a socket. The browser fetches one from
// GET /api/token (session cookie) at every (re)connect; scripts POST their
// credentials to /api/token. Signed with a key derived from AUTH_SECRET, so a
// socket token is useless as a session cookie and vice versa.
import { createHash } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
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

export function createSocketTokens(options: { secret: string; ttlSeconds: number }) {
  const raw = createHash("sha256").update(`parley-socket-token:${options.secret}`).digest();
  // PERFORMANCE (bench/, issue 6): given raw bytes, jose imports a WebCrypto key on
  // every sign and verify (every socket connect); importing it once halves the
  // cost of a verify (~90 -> ~50 µs here).
  let imported: Promise<CryptoKey> | undefined;
  const keyFor = () =>
    (imported ??= crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]));
  return {
    ttlSeconds: options.ttlSeconds,

    async issue(user: SocketIdentity): Promise<IssuedToken> {
      const nowSeconds = Math.floor(Date.now() / 1000);
      const exp = nowSeconds + options.ttlSeconds;
      const token = await new SignJWT({ name: user.name, role: user.role })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(user.id)
        .setAudience(AUDIENCE)
        .setIssuedAt(nowSeconds)
        .setExpirationTime(exp)
        .sign(await keyFor());
      return { token, expiresAt: exp * 1000 };
    },

    /** The identity in a valid token; AppError("unauthorized") otherwise. */
    async verify(token: unknown): Promise<SocketIdentity & { expiresAt: number }> {
      if (typeof token !== "string" || token.length === 0) {
        throw new AppError("unauthorized", "A token is required: pass auth: { token } in the handshake");
      }
      try {
        const { payload } = await jwtVerify(token, await keyFor(), { audience: AUDIENCE, algorithms: ["HS256"] });
        const role = payload.role === "ADMIN" ? "ADMIN" : "USER";
        if (!payload.sub || typeof payload.name !== "string" || !payload.exp) throw new Error("incomplete token");
        return { id: payload.sub, name: payload.name, role, expiresAt: payload.exp * 1000 };
      } catch {
        throw new AppError("unauthorized", "The token is invalid or expired; fetch a new one");
      }
    },
  };
}
export type SocketTokens = ReturnType<typeof createSocketTokens>;
