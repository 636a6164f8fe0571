import type { ModerationStore } from "../../domain/ports";
import type { AppPrismaClient } from "../db/database";
import { guard } from "./errors";

export function createPrismaModerationStore(prisma: AppPrismaClient): ModerationStore {
  return {
    banFromRoom: ({ roomId, userId, bannedById, reason }) =>
      guard(async () => {
        await prisma.$transaction([
          prisma.roomBan.upsert({
            where: { roomId_userId: { roomId, userId } },
            create: { roomId, userId, bannedById, reason: reason ?? null },
            update: { bannedById, reason: reason ?? null },
          }),
          prisma.membership.deleteMany({ where: { roomId, userId } }),
        ]);
      }),

    unbanFromRoom: (roomId, userId) =>
      guard(async () => (await prisma.roomBan.deleteMany({ where: { roomId, userId } })).count > 0),

    isBannedFromRoom: (roomId, userId) =>
      guard(async () => (await prisma.roomBan.count({ where: { roomId, userId } })) > 0),

    setMutedUntil: (roomId, userId, until) =>
      guard(async () => (await prisma.membership.updateMany({ where: { roomId, userId }, data: { mutedUntil: until } })).count > 0),

    setUserBanned: (userId, at) =>
      guard(async () => (await prisma.user.updateMany({ where: { id: userId }, data: { bannedAt: at } })).count > 0),

    isUserBanned: (userId) =>
      guard(async () => {
        const user = await prisma.user.findUnique({ where: { id: userId }, select: { bannedAt: true } });
        return Boolean(user?.bannedAt);
      }),
  };
}
