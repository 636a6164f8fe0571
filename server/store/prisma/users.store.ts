import { AppError } from "../../domain/errors";
import type { UsersStore } from "../../domain/ports";
import type { AppPrismaClient } from "../db/database";
import { guard, isUniqueViolation } from "./errors";

export function createPrismaUsersStore(prisma: AppPrismaClient): UsersStore {
  return {
    create: (input) =>
      guard(async () => {
        try {
          return await prisma.user.create({ data: { ...input, email: input.email.toLowerCase() } });
        } catch (err) {
          if (isUniqueViolation(err)) throw new AppError("conflict", "An account with this email already exists");
          throw err;
        }
      }),
    findById: (id) => guard(() => prisma.user.findUnique({ where: { id } })),
    findByEmailWithPasswordHash: (email) =>
      guard(() => prisma.user.findUnique({ where: { email: email.toLowerCase() }, omit: { passwordHash: false } })),
    connectionProfile: (userId) =>
      guard(async () => {
        const row = await prisma.user.findUnique({
          where: { id: userId },
          select: { bannedAt: true, memberships: { select: { roomId: true } } },
        });
        return { roomIds: row?.memberships.map((m) => m.roomId) ?? [], suspended: Boolean(row?.bannedAt) };
      }),
    markLastSeen: (userId, at) =>
      guard(async () => {
        // One conditional statement: two nodes recording it at once can only move it forward.
        await prisma.user.updateMany({
          where: { id: userId, OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: at } }] },
          data: { lastSeenAt: at },
        });
      }),
  };
}
