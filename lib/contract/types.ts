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
