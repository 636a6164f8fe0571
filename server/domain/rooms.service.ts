import type { CommandPayload, RoomSummary } from "../../lib/contract";
import { AppError, enforce, forbidden, notFound } from "./errors";
import { decodeMemberCursor, encodeMemberCursor } from "./member-cursor";
import type { MemberRecord, MembershipRecord, RateLimits, RoomsStore } from "./ports";
import type { SocketIdentity } from "./socket-tokens";

export type Actor = SocketIdentity;

export function createRoomsService(rooms: RoomsStore, limits: RateLimits) {
  /** The actor's membership of an existing room, or the reason they have none. */
  async function requireMembership(actor: Actor, roomId: string): Promise<MembershipRecord> {
    const membership = await rooms.getMembership(roomId, actor.id);
    if (membership) return membership;
    if (!(await rooms.findById(roomId, actor.id))) throw notFound("Room");
    throw forbidden();
  }

  return {
    requireMembership,

    list: (actor: Actor) => rooms.listVisible(actor.id),

    async create(actor: Actor, input: CommandPayload<"room:create">): Promise<RoomSummary> {
      await enforce(limits.rooms, actor.id, "new rooms");
      return rooms.create({ name: input.name, isPublic: input.isPublic, createdById: actor.id });
    },

    /** Makes the actor a member (public rooms only; private rooms need an invitation). */
    async join(actor: Actor, roomId: string): Promise<{ room: RoomSummary; joinedNow: boolean }> {
      const room = await rooms.findById(roomId, actor.id);
      if (!room) throw notFound("Room");
      if (room.membership) return { room, joinedNow: false };
      if (!room.isPublic) throw new AppError("forbidden", "This room is private: ask a member to invite you");
      const { created } = await rooms.addMember(roomId, actor.id);
      const joined = await rooms.findById(roomId, actor.id);
      if (!joined) throw notFound("Room");
      return { room: joined, joinedNow: created };
    },

    async leave(actor: Actor, roomId: string): Promise<{ memberCount: number }> {
      await requireMembership(actor, roomId);
      await rooms.removeMember(roomId, actor.id);
      return { memberCount: await rooms.countMembers(roomId) };
    },

    memberRoomIds: (actor: Pick<Actor, "id">) => rooms.listMemberRoomIds(actor.id),

    /** A page of the members of a room the actor belongs to (whose name contains `search`), by name; `next`: the cursor of the page after it. */
    async members(
      actor: Actor,
      roomId: string,
      page: { after?: string; limit: number; search?: string },
    ): Promise<{ members: MemberRecord[]; next: string | null }> {
      const after = page.after === undefined ? undefined : decodeMemberCursor(page.after);
      await requireMembership(actor, roomId);
      // One row more than asked says whether there is a next page.
      const rows = await rooms.listMembers(roomId, { after, limit: page.limit + 1, nameContains: page.search });
      if (rows.length <= page.limit) return { members: rows, next: null };
      const members = rows.slice(0, page.limit);
      const last = members[members.length - 1]!;
      return { members, next: encodeMemberCursor({ name: last.name, id: last.id }) };
    },

    memberCounts: (roomIds: string[]) => rooms.countMembersOf(roomIds),
    memberIdsOf: (roomIds: string[]) => rooms.listMemberIdsOf(roomIds),

    async markRead(actor: Actor, roomId: string, seq: number): Promise<number> {
      await requireMembership(actor, roomId);
      return rooms.markRead(roomId, actor.id, seq);
    },
  };
}
export type RoomsService = ReturnType<typeof createRoomsService>;
