// The wire contract: every Socket.IO event Parley speaks, with payload and ack
// types. Commands are `resource:verb` (imperative), broadcasts are past tense.
import type { ErrorBody } from "./errors";
import type { CommandInput, CommandName } from "./schemas";
import type { PresenceBatch } from "./presence-batch";
import type { ChatMessage, Page, PresenceStatus, RoomMember, RoomSummary, UserPresence, UserRef } from "./types";

export type AckResult<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type Ack<T> = (result: AckResult<T>) => void;

type Command<E extends CommandName, T> = (payload: CommandInput<E>, ack: Ack<T>) => void;

export interface ClientToServerEvents {
  "room:list": Command<"room:list", { rooms: RoomSummary[] }>;
  "room:create": Command<"room:create", { room: RoomSummary }>;
  "room:join": Command<"room:join", { room: RoomSummary; lastSeq: number }>;
  "room:leave": Command<"room:leave", Record<string, never>>;
  "message:send": Command<"message:send", { message: ChatMessage }>;
  "message:edit": Command<"message:edit", { message: ChatMessage }>;
  "message:delete": Command<"message:delete", Record<string, never>>;
  "room:sync": Command<"room:sync", Page<ChatMessage>>;
  "room:history": Command<"room:history", Page<ChatMessage>>;
  "room:read": Command<"room:read", { lastReadSeq: number }>;
  "typing:start": (payload: CommandInput<"typing:start">) => void;
  "typing:stop": (payload: CommandInput<"typing:stop">) => void;
  /** Ack data: the user's resulting status over all their connections. */
  "presence:set": Command<"presence:set", { status: PresenceStatus }>;
  /** Ack data: a page of members by name; `next` asks for the page after it (null: this was the last). */
  "room:members": Command<"room:members", { members: RoomMember[]; next: string | null }>;
  /** Ack data: the room's members online or away, as counted at most ONLINE_COUNT_TTL_MS ago (a big room's header). */
  "room:online": Command<"room:online", { online: number }>;
  /**
   * Ack data: the status now of those of the users who are members of the room
   * (later changes come as `presence:changed`). No `lastSeenAt`: `room:members` has it.
   */
  "presence:watch": Command<"presence:watch", { statuses: UserPresence[] }>;
  "auth:renew": Command<"auth:renew", { expiresAt: number }>;
  "room:kick": Command<"room:kick", Record<string, never>>;
  "room:ban": Command<"room:ban", Record<string, never>>;
  "room:unban": Command<"room:unban", Record<string, never>>;
  "room:mute": Command<"room:mute", { mutedUntil: string | null }>;
  "user:ban": Command<"user:ban", Record<string, never>>;
}

/** Sent to the removed user's own connections. */
export interface RoomRemoved {
  roomId: string;
  reason: "kicked" | "banned";
  by: UserRef;
}

/** Sent to a room when a member's mute changes. */
export interface MemberMuted {
  roomId: string;
  user: UserRef;
  mutedUntil: string | null;
}

export interface TypingChanged {
  roomId: string;
  userId: string;
  name: string;
  typing: boolean;
}

/**
 * Sent when a user's overall status changes: to the rooms of up to
 * PRESENCE_ROOM_WIDE_MAX_MEMBERS members they belong to (each socket gets it
 * once, however many rooms it shares with the user), and to the sockets
 * watching them (`presence:watch`) if they belong to a bigger room.
 */
export interface PresenceChanged {
  userId: string;
  name: string;
  status: PresenceStatus;
  /** Set (ISO) when `status` is offline: when the user's last connection closed. Null otherwise. */
  lastSeenAt: string | null;
}

/** Why the server is about to disconnect a socket. */
export type DisconnectNotice =
  | { reason: "token_expired" } // renew the token and reconnect
  | { reason: "server_shutdown" } // reconnect (to another node)
  | { reason: "signed_out" } // go to the sign-in page
  | { reason: "banned" }; // the account was suspended by an admin: do not reconnect

export interface ServerToClientEvents {
  "message:created": (message: ChatMessage) => void;
  "message:updated": (message: ChatMessage) => void;
  "message:deleted": (message: ChatMessage) => void;
  "room:created": (room: RoomSummary) => void;
  "room:member-joined": (event: { roomId: string; user: UserRef; memberCount: number }) => void;
  "room:member-left": (event: { roomId: string; user: UserRef; memberCount: number }) => void;
  "typing:changed": (event: TypingChanged) => void;
  "presence:changed": (event: PresenceChanged) => void;
  /** Several presence changes at once, as user ids by status (the server coalesces them per room, or per watcher, during a burst). */
  "presence:batch": (batch: PresenceBatch) => void;
  "session:notice": (notice: DisconnectNotice) => void;
  "room:removed": (event: RoomRemoved) => void;
  "room:member-muted": (event: MemberMuted) => void;
  /** Cross-node events may have been missed (e.g. Redis was down): sync every room you hold. */
  "sync:required": () => void;
}
