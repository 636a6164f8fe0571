import type { Server, Socket } from "socket.io";
import type { ClientToServerEvents, PresenceChanged, ServerToClientEvents } from "../../lib/contract";
import type { SocketIdentity } from "../domain/socket-tokens";
import type { TokenBucket } from "../domain/token-bucket";
import type { UserSocketsChange } from "./user-sockets";

/** Events between server processes (Socket.IO `serverSideEmit`). */
export interface InterServerEvents {
  "user-sockets": (change: UserSocketsChange) => void;
  /** A presence change for the sockets watching the user (`presence:watch`), on every node. */
  "presence-watched": (change: PresenceChanged) => void;
}

export interface SocketData {
  user: SocketIdentity;
  /** When the socket's token runs out (epoch ms); renewed by `auth:renew`. */
  tokenExpiresAt: number;
  /** The rooms the user belonged to at connect, loaded by middleware; dropped once the socket joined them. */
  memberRoomIds?: string[];
  /** The typing rate limit, made at the socket's first `typing:start`. */
  typingBucket?: TokenBucket;
  /** The room whose members the socket watches (`presence:watch`), while it watches any. */
  watchingRoomId?: string;
  /** Counts the socket's `presence:watch` commands (the latest one wins). */
  watchSeq?: number;
  /** The `presence:watch` rate limit, made at the socket's first watch. */
  watchBucket?: TokenBucket;
  /** Its budget for commands without a limit of their own (COMMAND_RATE_LIMIT), made on its first such command. */
  commandBucket?: TokenBucket;
}

export type ParleyServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ParleySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/**
 * Socket.IO room names. Every socket is in its user's channel and its member
 * rooms' channels, plus the presence channels of the users it watches.
 */
export const channels = {
  room: (roomId: string) => `room:${roomId}`,
  user: (userId: string) => `user:${userId}`,
  presence: (userId: string) => `presence:${userId}`,
};

const ROOM_PREFIX = channels.room("");
const PRESENCE_PREFIX = channels.presence("");

/**
 * Replaces what a socket watches with these users (members of `roomId`,
 * already checked): it joins their presence channels and leaves the others.
 */
export function watchPresence(socket: ParleySocket, roomId: string, userIds: readonly string[]): void {
  const wanted = new Set(userIds.map(channels.presence));
  for (const channel of socket.rooms) if (channel.startsWith(PRESENCE_PREFIX) && !wanted.has(channel)) void socket.leave(channel);
  void socket.join([...wanted]);
  if (wanted.size > 0) socket.data.watchingRoomId = roomId;
  else delete socket.data.watchingRoomId;
}

/** The socket stops watching if what it watches are members of `roomId` (it is no longer one). */
export function stopWatchingRoom(socket: ParleySocket, roomId: string): void {
  if (socket.data.watchingRoomId === roomId) watchPresence(socket, roomId, []);
}

/** The rooms a local socket's user is a member of: its room channels (joined while, and only while, a member). */
export function memberRoomsOf(socket: ParleySocket): string[] {
  const roomIds: string[] = [];
  for (const channel of socket.rooms) if (channel.startsWith(ROOM_PREFIX)) roomIds.push(channel.slice(ROOM_PREFIX.length));
  return roomIds;
}
