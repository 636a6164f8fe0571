import type { ChatMessage, RoomSummary } from "../../../lib/contract";
import type { MembershipRecord } from "../../domain/ports";

export const authorSelect = { select: { id: true, name: true } } as const;

export interface MessageRow {
  id: string;
  roomId: string;
  seq: number;
  change: number;
  clientId: string;
  body: string;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  author: { id: string; name: string };
}

export function toChatMessage(row: MessageRow): ChatMessage {
  return {
    id: row.id,
    roomId: row.roomId,
    seq: row.seq,
    change: row.change,
    clientId: row.clientId,
    author: { id: row.author.id, name: row.author.name },
    body: row.deletedAt ? "" : row.body,
    createdAt: row.createdAt.toISOString(),
    editedAt: row.editedAt?.toISOString() ?? null,
    deletedAt: row.deletedAt?.toISOString() ?? null,
  };
}

export interface RoomRow {
  id: string;
  name: string;
  isPublic: boolean;
  lastSeq: number;
  lastChange: number;
  _count: { memberships: number };
  memberships: { role: MembershipRecord["role"]; lastReadSeq: number }[];
}

/** Include for a room row as seen by `viewerId` (their membership, if any). */
export function roomInclude(viewerId: string) {
  return {
    _count: { select: { memberships: true } },
    memberships: { where: { userId: viewerId }, select: { role: true, lastReadSeq: true } },
  } as const;
}

export function toRoomSummary(row: RoomRow): RoomSummary {
  const membership = row.memberships[0];
  return {
    id: row.id,
    name: row.name,
    isPublic: row.isPublic,
    memberCount: row._count.memberships,
    lastSeq: row.lastSeq,
    lastChange: row.lastChange,
    membership: membership ? { role: membership.role, lastReadSeq: membership.lastReadSeq } : null,
  };
}
