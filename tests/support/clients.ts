// Real socket.io-client connections to any Parley node, authenticated with
// tokens minted from the shared AUTH_SECRET (what /api/token does).
import { io as connect } from "socket.io-client";
import { createSocketTokens } from "../../server/domain/socket-tokens";
import type { ClientSocket } from "./test-server";
import { TEST_AUTH_SECRET } from "./node-process";

const tokens = createSocketTokens({ secret: TEST_AUTH_SECRET, ttlSeconds: 600 });

export interface ClientOptions {
  /** Reconnect automatically (default false: tests drive reconnects). */
  reconnection?: boolean;
  transports?: ("websocket" | "polling")[];
  /** Keep cookies (a load balancer's stickiness cookie); Node's client has a cookie jar for this. */
  withCredentials?: boolean;
}

/** A socket for `user` against `url` (a function, so it can follow a node that moved). */
export function socketFor(
  url: string | (() => string),
  user: { id: string; name: string; role?: "USER" | "ADMIN" },
  options: ClientOptions = {},
): ClientSocket {
  const target = typeof url === "function" ? url() : url;
  return connect(target, {
    forceNew: true,
    autoConnect: false,
    transports: options.transports ?? ["websocket"],
    withCredentials: options.withCredentials ?? false,
    reconnection: options.reconnection ?? false,
    reconnectionDelay: 100,
    reconnectionDelayMax: 1_000,
    auth: (cb) => {
      void tokens.issue({ id: user.id, name: user.name, role: user.role ?? "USER" }).then(({ token }) => cb({ token }));
    },
  });
}
