// The shapes that cross the wire. Dates are ISO-8601 strings.

export interface UserRef {
  id: string;
  name: string;
}

export interface ChatMessage {
  id: string;
  roomId: string;
  /** Per-room position: 1, 2, 3, ... gap-free, assigned by the server. */
  seq: number;
  /** Per-room change number of the latest create/edit/delete of this message. */
  change: number;
  clientId: string;
  author: UserRef;
  /** Empty once deleted (the message stays as a tombstone so `seq` has no holes). */
  body: string;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
}

export type RoomRole = "MEMBER" | "MODERATOR" | "OWNER";

/**
 * A user's presence, over all their connections on every server: `online` while
 * at least one connection is active, `away` while every open connection reports
 * itself idle or hidden, `offline` once the last one has closed.
 */
export type PresenceStatus = "online" | "away" | "offline";

/** A user's overall status (the `presence:watch` answer). */
export interface UserPresence {
  userId: string;
  status: PresenceStatus;
}

/** One member of a room, with their presence (the `room:members` answer). */
export interface RoomMember {
  id: string;
  name: string;
  role: RoomRole;
  status: PresenceStatus;
  /** When the user's last connection closed (ISO); null while online/away, or if never seen. */
  lastSeenAt: string | null;
  /** Set while the member is muted in this room (ISO). */
  mutedUntil: string | null;
}

export interface RoomSummary {
  id: string;
  name: string;
  isPublic: boolean;
  memberCount: number;
  /** Highest seq in the room. */
  lastSeq: number;
  /** Highest change number in the room (creates, edits, deletes). */
  lastChange: number;
  /** Null when the current user is not a member. */
  membership: { role: RoomRole; lastReadSeq: number } | null;
}

export interface Page<T> {
  messages: T[];
  hasMore: boolean;
}
