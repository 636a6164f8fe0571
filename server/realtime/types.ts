import type { Server, Socket } from "socket.io";
import type { ClientToServerEvents, ServerToClientEvents } from "../../lib/contract";
import type { SocketIdentity } from "../domain/socket-tokens";
import type { TokenBucket } from "../domain/typing.service";
import type { UserSocketsChange } from "./user-sockets";

/** Events between server processes (Socket.IO `serverSideEmit`). */
export interface InterServerEvents {
  "user-sockets": (change: UserSocketsChange) => void;
}

export interface SocketData {
  user: SocketIdentity;
  /** When the socket's token runs out (epoch ms); renewed by `auth:renew`. */
  tokenExpiresAt: number;
  /** The rooms the user belonged to at connect, loaded by middleware; dropped once the socket joined them. */
  memberRoomIds?: string[];
  /** The typing rate limit, made at the socket's first `typing:start`. */
  typingBucket?: TokenBucket;
}

export type ParleyServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ParleySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Socket.IO room names. Every socket is in its user's channel and its member rooms' channels. */
export const channels = {
  room: (roomId: string) => `room:${roomId}`,
  user: (userId: string) => `user:${userId}`,
};

const ROOM_PREFIX = channels.room("");

/** The rooms a local socket's user is a member of: its room channels (joined while, and only while, a member). */
export function memberRoomsOf(socket: ParleySocket): string[] {
  const roomIds: string[] = [];
  for (const channel of socket.rooms) if (channel.startsWith(ROOM_PREFIX)) roomIds.push(channel.slice(ROOM_PREFIX.length));
  return roomIds;
}
