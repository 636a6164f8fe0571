import { channels, stopWatchingRoom, type ParleyServer } from "./types";

/** A change to every live socket of one user, on whichever node it is connected. */
export type UserSocketsChange = { userId: string } & ({ op: "join" | "leave"; roomId: string } | { op: "disconnect" });

export interface UserSockets {
  /** The user's sockets join a room's channel (they start hearing its broadcasts). */
  join(userId: string, roomId: string): void;
  /** The user's sockets leave a room's channel (kick, ban, leave). */
  leave(userId: string, roomId: string): void;
  /** Closes the user's sockets (a server-side disconnect: clients do not reconnect by themselves). */
  disconnect(userId: string): void;
}

/**
 * Joins, leaves and forced disconnects of a user's sockets on every node:
 * applied to this node's sockets at once, then sent to the other nodes.
 *
 * Why not `io.in(userChannel).socketsJoin(room)`: with the Redis adapter
 * (@socket.io/redis-adapter 8.3) that only publishes a request, and this node
 * applies it when its own request comes back from Redis. So a socket whose
 * `room:join` had been acked was not in the room for one more Redis round trip
 * (a message sent at once through another node could miss it: the cluster
 * test lost the first two broadcasts this way about once in a dozen runs on a
 * busy machine), a kicked socket on the kicker's node kept hearing the room for
 * as long, and while Redis was down neither happened at all.
 *
 * The other nodes get the change through `serverSideEmit`, published on the
 * same Redis connection as this node's broadcasts, so each of them applies it
 * before any broadcast this node sends afterwards. A broadcast from a third
 * node can still overtake it by a round trip; the receiving client notices the
 * seq gap at its next message and fills it with `room:sync`.
 *
 * `crossNode`: there are other nodes to tell (a Redis adapter); without one
 * (embedded mode) the change is local only. `membersChanged`: told on every
 * node when a room's members change (a user joined or left), before their
 * sockets move.
 */
export function userSocketsEverywhere(
  io: ParleyServer,
  crossNode: boolean,
  membersChanged: (roomId: string, userId: string, joined: boolean) => void = () => {},
): UserSockets {
  const applyHere = (change: UserSocketsChange) => {
    if (change.op !== "disconnect") membersChanged(change.roomId, change.userId, change.op === "join");
    const sockets = io.local.in(channels.user(change.userId));
    if (change.op === "join") sockets.socketsJoin(channels.room(change.roomId));
    else if (change.op === "leave") {
      sockets.socketsLeave(channels.room(change.roomId));
      // No longer a member: no longer told about the room's members either.
      for (const socketId of io.sockets.adapter.rooms.get(channels.user(change.userId)) ?? []) {
        const socket = io.sockets.sockets.get(socketId);
        if (socket) stopWatchingRoom(socket, change.roomId);
      }
    } else sockets.disconnectSockets(true);
  };
  if (crossNode) io.on("user-sockets", applyHere);

  const apply = (change: UserSocketsChange) => {
    applyHere(change);
    if (crossNode) io.serverSideEmit("user-sockets", change);
  };
  return {
    join: (userId, roomId) => apply({ op: "join", userId, roomId }),
    leave: (userId, roomId) => apply({ op: "leave", userId, roomId }),
    disconnect: (userId) => apply({ op: "disconnect", userId }),
  };
}
