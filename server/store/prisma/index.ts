import type { Stores } from "../../domain/ports";
import type { AppPrismaClient } from "../db/database";
import { createPrismaMessagesStore } from "./messages.store";
import { createPrismaModerationStore } from "./moderation.store";
import { createPrismaRoomsStore } from "./rooms.store";
import { createPrismaUsersStore } from "./users.store";

export function createPrismaStores(prisma: AppPrismaClient): Stores {
  return {
    users: createPrismaUsersStore(prisma),
    rooms: createPrismaRoomsStore(prisma),
    messages: createPrismaMessagesStore(prisma),
    moderation: createPrismaModerationStore(prisma),
  };
}
