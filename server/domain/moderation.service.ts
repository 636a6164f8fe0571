// Who may moderate whom, and what each action does to the data. The realtime
// layer then applies the effects to live sockets on every node.
import type { CommandPayload, RoomRole, UserRef } from "../../lib/contract";
import { AppError, forbidden, notFound } from "./errors";
import type { ModerationStore, RoomsStore, UsersStore } from "./ports";
import type { Actor } from "./rooms.service";

const RANK: Record<RoomRole, number> = { MEMBER: 0, MODERATOR: 1, OWNER: 2 };

export function createModerationService(deps: { rooms: RoomsStore; users: UsersStore; moderation: ModerationStore }) {
  const { rooms, users, moderation } = deps;

  /**
   * Room owners and moderators moderate members ranked below them; admins
   * moderate anyone. Nobody moderates themselves.
   */
  async function authorize(actor: Actor, roomId: string, targetId: string): Promise<UserRef> {
    if (actor.id === targetId) throw new AppError("invalid_payload", "You cannot moderate yourself");
    const room = await rooms.findById(roomId, actor.id);
    if (!room) throw notFound("Room");
    const target = await users.findById(targetId);
    if (!target) throw notFound("User");
    if (actor.role === "ADMIN") return { id: target.id, name: target.name };
    const mine = room.membership;
    if (!mine || mine.role === "MEMBER") throw forbidden("Only the room's owner and moderators can do that");
    const theirs = await rooms.getMembership(roomId, targetId);
    if (theirs && RANK[theirs.role] >= RANK[mine.role]) throw forbidden("You cannot moderate someone of your rank or above");
    return { id: target.id, name: target.name };
  }

  return {
    /** Removes a member; they may join again (public rooms). */
    async kick(actor: Actor, input: CommandPayload<"room:kick">): Promise<{ target: UserRef; memberCount: number }> {
      const target = await authorize(actor, input.roomId, input.userId);
      if (!(await rooms.removeMember(input.roomId, input.userId))) throw notFound("Member");
      return { target, memberCount: await rooms.countMembers(input.roomId) };
    },

    /** Removes a member (if they are one) and keeps them out until unbanned. */
    async ban(actor: Actor, input: CommandPayload<"room:ban">): Promise<{ target: UserRef; memberCount: number }> {
      const target = await authorize(actor, input.roomId, input.userId);
      await moderation.banFromRoom({ roomId: input.roomId, userId: input.userId, bannedById: actor.id, reason: input.reason });
      return { target, memberCount: await rooms.countMembers(input.roomId) };
    },

    async unban(actor: Actor, input: CommandPayload<"room:unban">): Promise<void> {
      await authorize(actor, input.roomId, input.userId);
      if (!(await moderation.unbanFromRoom(input.roomId, input.userId))) throw notFound("Ban");
    },

    async mute(actor: Actor, input: CommandPayload<"room:mute">): Promise<{ target: UserRef; mutedUntil: Date | null }> {
      const target = await authorize(actor, input.roomId, input.userId);
      const mutedUntil = input.minutes > 0 ? new Date(Date.now() + input.minutes * 60_000) : null;
      if (!(await moderation.setMutedUntil(input.roomId, input.userId, mutedUntil))) throw notFound("Member");
      return { target, mutedUntil };
    },

    /** Admins only: suspends an account everywhere. */
    async banUser(actor: Actor, input: CommandPayload<"user:ban">): Promise<void> {
      if (actor.role !== "ADMIN") throw forbidden("Only admins can suspend accounts");
      if (actor.id === input.userId) throw new AppError("invalid_payload", "You cannot suspend yourself");
      if (!(await moderation.setUserBanned(input.userId, new Date()))) throw notFound("User");
    },

    /** Throws `banned` if the user may not join this room. */
    async assertNotBannedFromRoom(actor: Actor, roomId: string): Promise<void> {
      if (await moderation.isBannedFromRoom(roomId, actor.id)) {
        throw new AppError("banned", "You are banned from this room");
      }
    },

    isUserBanned: (userId: string) => moderation.isUserBanned(userId),
  };
}
export type ModerationService = ReturnType<typeof createModerationService>;
