import { AppError } from "../domain/errors";
import type { SocketTokens } from "../domain/socket-tokens";
import type { CommandContext, CommandHandlers } from "./command";
import type { ParleyServer, ParleySocket } from "./types";

/** How often open sockets are checked for expired tokens: a token is honoured at most this much past its expiry. */
export const SESSION_SWEEP_MS = 1_000;

/**
 * Token lifetime on an open socket. The client renews in-band with
 * `auth:renew` before its token runs out; if it does not, the socket is told
 * why (`session:notice { reason: "token_expired" }`) and disconnected, and the
 * client reconnects with a freshly fetched token (or lands on the sign-in page
 * if its session is gone).
 */
export function sessionCommands(ctx: CommandContext & { tokens: SocketTokens }): CommandHandlers {
  return {
    "auth:renew": async (socket, { token }) => {
      const identity = await ctx.tokens.verify(token);
      if (identity.id !== socket.data.user.id) throw new AppError("forbidden", "That token belongs to another user");
      socket.data.user = { id: identity.id, name: identity.name, role: identity.role };
      socket.data.tokenExpiresAt = identity.expiresAt;
      return { expiresAt: identity.expiresAt };
    },
  };
}

/**
 * Closes the sockets whose token ran out. One timer per server scanning the
 * local sockets (10,000 of them in well under a millisecond) rather than a
 * timer per socket: a Timeout and its closure cost memory on every connection.
 */
export function startSessionExpiry(io: ParleyServer, sweepMs = SESSION_SWEEP_MS): { stop(): void } {
  const timer = setInterval(() => {
    const now = Date.now();
    for (const socket of io.of("/").sockets.values()) {
      if (socket.data.tokenExpiresAt <= now) expire(socket);
    }
  }, sweepMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function expire(socket: ParleySocket): void {
  // A sweep that comes before the transport finished closing must not notify twice.
  socket.data.tokenExpiresAt = Number.POSITIVE_INFINITY;
  socket.emit("session:notice", { reason: "token_expired" });
  // Close the transport rather than `disconnect(true)`: every Socket.IO client
  // reconnects by itself after a transport close (fetching a fresh token
  // through its auth callback), while after a server-side disconnect it would
  // wait for the application to call connect() again.
  socket.conn.close();
}
