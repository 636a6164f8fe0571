import type { Server, Socket } from "socket.io";
import type { ClientToServerEvents, ServerToClientEvents } from "../../lib/contract";
import type { SocketIdentity } from "../domain/socket-tokens";

/** Events between server processes (Socket.IO `serverSideEmit`). */
export interface InterServerEvents {
  ping: () => void;
}

export interface SocketData {
  user: SocketIdentity;
  /** When the socket's token runs out (epoch ms); renewed by `auth:renew`. */
  tokenExpiresAt: number;
  /** The rooms the user belonged to at connect, loaded by middleware. */
  memberRoomIds: string[];
}

export type ParleyServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ParleySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Socket.IO room names. Every socket is in its user's channel and its member rooms' channels. */
export const channels = {
  room: (roomId: string) => `room:${roomId}`,
  user: (userId: string) => `user:${userId}`,
};
