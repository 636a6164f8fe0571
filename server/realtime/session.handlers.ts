import { AppError } from "../domain/errors";
import type { SocketTokens } from "../domain/socket-tokens";
import { command, type CommandContext } from "./command";
import type { ParleySocket } from "./types";

/**
 * Token lifetime on an open socket. The client renews in-band with
 * `auth:renew` before its token runs out; if it does not, the socket is told
 * why (`session:notice { reason: "token_expired" }`) and disconnected, and the
 * client reconnects with a freshly fetched token (or lands on the sign-in page
 * if its session is gone).
 */
export function registerSessionHandlers(socket: ParleySocket, ctx: CommandContext & { tokens: SocketTokens }): void {
  let timer: NodeJS.Timeout | undefined;

  const schedule = () => {
    clearTimeout(timer);
    const delay = Math.max(0, socket.data.tokenExpiresAt - Date.now());
    // setTimeout caps at ~24.8 days; tokens live minutes, but be safe.
    timer = setTimeout(expire, Math.min(delay, 2_147_000_000));
  };
  const expire = () => {
    if (Date.now() < socket.data.tokenExpiresAt) return schedule();
    socket.emit("session:notice", { reason: "token_expired" });
    // Close the transport rather than `disconnect(true)`: every Socket.IO client
    // reconnects by itself after a transport close (fetching a fresh token
    // through its auth callback), while after a server-side disconnect it would
    // wait for the application to call connect() again.
    socket.conn.close();
  };

  command(socket, ctx, "auth:renew", async ({ token }) => {
    const identity = await ctx.tokens.verify(token);
    if (identity.id !== socket.data.user.id) throw new AppError("forbidden", "That token belongs to another user");
    socket.data.user = { id: identity.id, name: identity.name, role: identity.role };
    socket.data.tokenExpiresAt = identity.expiresAt;
    schedule();
    return { expiresAt: identity.expiresAt };
  });

  socket.on("disconnect", () => clearTimeout(timer));
  schedule();
}
