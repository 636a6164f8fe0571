import { createMessagesService } from "./messages.service";
import type { Stores } from "./ports";
import { createRoomsService } from "./rooms.service";
import { createSocketTokens } from "./socket-tokens";
import { createUsersService } from "./users.service";
import { MessageWriteQueue } from "./write-queue";

export interface ServicesConfig {
  authSecret: string;
  socketTokenTtlSeconds: number;
}

/** Every use-case, wired to the given stores. */
export function createServices(stores: Stores, config: ServicesConfig) {
  const writeQueue = new MessageWriteQueue(stores.messages);
  const rooms = createRoomsService(stores.rooms);
  return {
    users: createUsersService(stores.users),
    tokens: createSocketTokens({ secret: config.authSecret, ttlSeconds: config.socketTokenTtlSeconds }),
    rooms,
    messages: createMessagesService({ messages: stores.messages, rooms, writeQueue }),
    writeQueue,
  };
}
export type Services = ReturnType<typeof createServices>;
