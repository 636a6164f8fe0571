// Users and rooms for tests, written straight through Prisma (no sign-up, no socket).
import { randomUUID } from "node:crypto";
import type { AppPrismaClient } from "../../server/store/db/database";

/** A user with a unique email (and no usable password). */
export function createUser(prisma: AppPrismaClient, name: string, options: { bannedAt?: Date } = {}) {
  return prisma.user.create({ data: { email: `${name}-${randomUUID()}@t.test`, name, passwordHash: "x", bannedAt: options.bannedAt } });
}

/** A room owned by `owner` whose members are `members` (all muted until `mutedUntil`, if given). */
export function createRoom(prisma: AppPrismaClient, owner: { id: string }, members: { id: string }[], options: { mutedUntil?: Date } = {}) {
  return prisma.room.create({
    data: {
      name: `room-${randomUUID().slice(0, 8)}`,
      createdById: owner.id,
      memberships: { create: members.map((m) => ({ userId: m.id, mutedUntil: options.mutedUntil })) },
    },
  });
}
