import type { Stores } from "../../domain/ports";
import type { Database } from "../db/database";
import { createPrismaMessagesStore } from "./messages.store";
import { createPrismaModerationStore } from "./moderation.store";
import { createPrismaRoomsStore } from "./rooms.store";
import { createPrismaUsersStore } from "./users.store";

export function createPrismaStores(db: Pick<Database, "prisma" | "sql">): Stores {
  const { prisma } = db;
  return {
    users: createPrismaUsersStore(db),
    rooms: createPrismaRoomsStore(db),
    messages: createPrismaMessagesStore(db),
    moderation: createPrismaModerationStore(prisma),
  };
}
