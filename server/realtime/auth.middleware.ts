import type { SocketTokens } from "../domain/socket-tokens";
import { AppError } from "../domain/errors";
import type { ParleySocket } from "./types";

/**
 * Handshake authentication: a socket must present a valid token in
 * `auth: { token }`. A refused connection gets a `connect_error` whose
 * `message` is the code ("unauthorized") and whose `data` is `{ code, message }`.
 */
export function authMiddleware(tokens: SocketTokens) {
  return async (socket: ParleySocket, next: (err?: Error) => void) => {
    try {
      const auth = socket.handshake.auth as { token?: unknown } | undefined;
      const identity = await tokens.verify(auth?.token);
      socket.data.user = { id: identity.id, name: identity.name, role: identity.role };
      socket.data.tokenExpiresAt = identity.expiresAt;
      // A bearer credential: not kept on the socket for its whole life once
      // verified (~300 bytes per connection, and nothing for a heap dump to leak).
      delete (auth as { token?: unknown }).token;
      next();
    } catch (err) {
      const appError = err instanceof AppError ? err : new AppError("unauthorized", "Authentication failed");
      const refusal = new Error(appError.code) as Error & { data: { code: string; message: string } };
      refusal.data = { code: appError.code, message: appError.message };
      next(refusal);
    }
  };
}
