// Payload schemas for every client-to-server event, shared by the server (which
// validates everything it receives) and the client (which validates before it
// sends, so the UI can explain a problem without a round trip).
import { z } from "zod";
import { DEFAULT_PAGE_SIZE, MAX_BODY_LENGTH, MAX_PAGE_SIZE, MAX_ROOM_NAME_LENGTH, MEMBER_SEARCH_MAX_LENGTH, MEMBERS_PAGE_MAX, PRESENCE_WATCH_MAX } from "./limits";

const id = z.string().min(1).max(64);
const seq = z.number().int().min(0);
const limit = z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE);

/**
 * Body length is checked separately (see `bodySchema`) so that "too long" can be
 * reported as `too_large` and "empty" as `invalid_payload`.
 */
export const bodySchema = z.string().refine((s) => s.trim().length > 0, "Message is empty");

export const roomNameSchema = z
  .string()
  .trim()
  .min(1, "Room name is required")
  .max(MAX_ROOM_NAME_LENGTH, `Room name is at most ${MAX_ROOM_NAME_LENGTH} characters`)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u, "Use letters, digits, spaces, '-', '_' or '.'");

export const schemas = {
  "room:list": z.object({}).strict(),
  "room:create": z.object({ name: roomNameSchema, isPublic: z.boolean().default(true) }),
  "room:join": z.object({ roomId: id }),
  "room:leave": z.object({ roomId: id }),
  "message:send": z.object({
    roomId: id,
    // UUIDs in practice; anything unique per author is accepted.
    clientId: z.string().min(8).max(64),
    body: bodySchema,
  }),
  "message:edit": z.object({ messageId: id, body: bodySchema }),
  "message:delete": z.object({ messageId: id }),
  "room:sync": z.object({
    roomId: id,
    afterSeq: seq,
    /** Also return messages edited or deleted after this change number. */
    afterChange: seq.optional(),
    limit,
  }),
  "room:history": z.object({ roomId: id, beforeSeq: z.number().int().min(1).optional(), limit }),
  "room:read": z.object({ roomId: id, seq }),
  "typing:start": z.object({ roomId: id }),
  "typing:stop": z.object({ roomId: id }),
  /** What this connection reports: `away` when the page is hidden or idle, `online` when it is used again. */
  "presence:set": z.object({ status: z.enum(["online", "away"]) }),
  /**
   * One page of a room's members, by name: the first without `after`, the next
   * with the answer's `next` (an opaque cursor). With `search`, only the members
   * whose name contains it, ignoring case (pass the same `search` with `after`).
   */
  "room:members": z.object({
    roomId: id,
    after: z.string().min(1).max(512).optional(),
    search: z.string().trim().min(1, "Type part of a name").max(MEMBER_SEARCH_MAX_LENGTH, `Search for at most ${MEMBER_SEARCH_MAX_LENGTH} characters`).optional(),
    limit: z.number().int().min(1).max(MEMBERS_PAGE_MAX).default(MEMBERS_PAGE_MAX),
  }),
  /** How many of a room's members are online or away (counted at most every ~10 s per node: see ONLINE_COUNT_TTL_MS). */
  "room:online": z.object({ roomId: id }),
  /**
   * The members of a big room whose presence this socket wants (the ones it
   * shows); replaces what it watched before, `[]` stops. See PRESENCE_ROOM_WIDE_MAX_MEMBERS.
   */
  "presence:watch": z.object({
    roomId: id,
    userIds: z.array(id).max(PRESENCE_WATCH_MAX, `Watch at most ${PRESENCE_WATCH_MAX} users at once`),
  }),
  "auth:renew": z.object({ token: z.string().min(1).max(4096) }),
  // Moderation: room owners and moderators for their rooms, admins everywhere.
  "room:kick": z.object({ roomId: id, userId: id }),
  "room:ban": z.object({ roomId: id, userId: id, reason: z.string().trim().max(200).optional() }),
  "room:unban": z.object({ roomId: id, userId: id }),
  /** `minutes: 0` lifts the mute. At most a week. */
  "room:mute": z.object({ roomId: id, userId: id, minutes: z.number().int().min(0).max(7 * 24 * 60) }),
  /** Admins only: suspends the account everywhere and disconnects it. */
  "user:ban": z.object({ userId: id, reason: z.string().trim().max(200).optional() }),
} as const;

export type CommandName = keyof typeof schemas;
export type CommandInput<E extends CommandName> = z.input<(typeof schemas)[E]>;
export type CommandPayload<E extends CommandName> = z.output<(typeof schemas)[E]>;

export { MAX_BODY_LENGTH };
