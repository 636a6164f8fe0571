import { randomUUID } from "node:crypto";
import type { ChatMessage } from "../../../lib/contract";
import type { AppendOutcome, MessageDraft, MessagesStore } from "../../domain/ports";
import { notFound } from "../../domain/errors";
import type { AppPrismaClient } from "../db/database";
import { adapterErrorKind, guard, isUniqueViolation } from "./errors";
import { authorSelect, toChatMessage } from "./mappers";

const MAX_UNIQUE_RETRIES = 3;

/** A unique violation raised inside a raw query (Prisma reports those as P2010, with the driver adapter's error in meta). */
function isRawUniqueViolation(err: unknown): boolean {
  if (adapterErrorKind(err) === "UniqueConstraintViolation") return true;
  const e = err as { code?: unknown; meta?: { code?: unknown }; message?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  return e.meta?.code === "23505" || (e.code === "P2010" && /23505|unique constraint/i.test(String(e.message)));
}

export function createPrismaMessagesStore(prisma: AppPrismaClient): MessagesStore {
  return {
    appendBatch: (roomId, drafts) =>
      guard(async () => {
        // The duplicate check reads the snapshot taken before the room lock, so two
        // nodes racing with the same (author, clientId) can both pass it; the unique
        // index stops the second one, its statement rolls back (seq is not consumed)
        // and the retry sees the first one's row as a duplicate.
        for (let attempt = 1; ; attempt++) {
          try {
            return await appendOnce(prisma, roomId, drafts);
          } catch (err) {
            if (!(isUniqueViolation(err) || isRawUniqueViolation(err)) || attempt >= MAX_UNIQUE_RETRIES) throw err;
          }
        }
      }),

    findById: (messageId) =>
      guard(async () => {
        const row = await prisma.message.findUnique({ where: { id: messageId }, include: { author: authorSelect } });
        return row ? toChatMessage(row) : null;
      }),

    update: (messageId, change) =>
      guard(() =>
        prisma.$transaction(async (tx) => {
          const current = await tx.message.findUnique({ where: { id: messageId }, select: { roomId: true } });
          if (!current) throw notFound("Message");
          // Bumping the room's change counter takes its row lock: edits, deletes and
          // appends in one room get distinct, ordered change numbers.
          const room = await tx.room.update({
            where: { id: current.roomId },
            data: { lastChange: { increment: 1 } },
            select: { lastChange: true },
          });
          const now = new Date();
          const row = await tx.message.update({
            where: { id: messageId },
            data:
              "deleted" in change
                ? { body: "", deletedAt: now, change: room.lastChange }
                : { body: change.body, editedAt: now, change: room.lastChange },
            include: { author: authorSelect },
          });
          return toChatMessage(row);
        }),
      ),

    listAfter: (roomId, afterSeq, afterChange, limit) =>
      guard(async () => {
        const rows = await prisma.message.findMany({
          where:
            afterChange === undefined
              ? { roomId, seq: { gt: afterSeq } }
              : { roomId, OR: [{ seq: { gt: afterSeq } }, { change: { gt: afterChange } }] },
          orderBy: afterChange === undefined ? { seq: "asc" } : { change: "asc" },
          take: limit,
          include: { author: authorSelect },
        });
        return rows.map(toChatMessage);
      }),

    listBefore: (roomId, beforeSeq, limit) =>
      guard(async () => {
        const rows = await prisma.message.findMany({
          where: beforeSeq === undefined ? { roomId } : { roomId, seq: { lt: beforeSeq } },
          orderBy: { seq: "desc" },
          take: limit,
          include: { author: authorSelect },
        });
        return rows.reverse().map(toChatMessage);
      }),
  };
}

/**
 * One row per draft, in draft order, from the single append statement below.
 * `status` decides the outcome; the message columns are the inserted row
 * (created, or a repeat of a key inserted by this same batch) or the stored one
 * (a retry of an earlier send), and null for rejections.
 */
interface AppendRow {
  status: "created" | "duplicate" | "conflict" | "forbidden" | "muted" | "not_found";
  id: string | null;
  room_id: string | null;
  seq: number | null;
  change: number | null;
  client_id: string | null;
  author_id: string | null;
  author_name: string | null;
  body: string | null;
  created_at: Date | string | null;
  edited_at: Date | string | null;
  deleted_at: Date | string | null;
}

// Message ids are made here (the insert is raw SQL, so Prisma's client-side
// @default(cuid()) does not run): cuid-shaped, time-ordered prefix, 64 random bits.
const newMessageId = () => `c${Date.now().toString(36)}${randomUUID().replace(/-/g, "").slice(0, 16)}`;

const asDate = (v: Date | string | null): Date | null =>
  v === null ? null : v instanceof Date ? v : new Date(/[zZ]|[+-]\d\d(:?\d\d)?$/.test(v) ? v : `${v}Z`);

function rowToMessage(row: AppendRow): ChatMessage {
  return toChatMessage({
    id: row.id!,
    roomId: row.room_id!,
    seq: Number(row.seq),
    change: Number(row.change),
    clientId: row.client_id!,
    body: row.body ?? "",
    createdAt: asDate(row.created_at)!,
    editedAt: asDate(row.edited_at),
    deletedAt: asDate(row.deleted_at),
    author: { id: row.author_id!, name: row.author_name ?? "" },
  });
}

const REJECTIONS = {
  conflict: "This clientId was already used for another room",
  forbidden: "You are not a member of this room",
  muted: "You are muted in this room",
  not_found: "Room not found",
} as const;

/**
 * PERFORMANCE (bench/, issue 6): a batch used to be an interactive Prisma
 * transaction of six queries (membership and duplicate look-ups, room update,
 * createManyAndReturn, read markers, plus BEGIN/COMMIT): each one compiled and
 * interpreted by the Prisma client and a round trip to the database, which
 * capped one node at a few hundred messages per second on 2 cores. It is now
 * ONE statement (a single implicit transaction, one round trip) with the same
 * rules and the same outcomes, in the same order of precedence:
 *   stored before (same room: duplicate; another room: conflict) >
 *   not a member (not_found when the room does not exist) > muted > created;
 *   the same (author, clientId) twice in a batch: the first is created, the rest
 *   are duplicates of it.
 * The UPDATE of the room row takes its lock until commit and, under READ
 * COMMITTED, re-reads the row after waiting for a concurrent writer (another
 * node): that is what keeps seq and change gap-free and ordered across nodes.
 * A rolled-back statement rolls back the increment too. A concurrent insert of
 * the same (author, clientId) fails this statement on the unique index; the
 * caller retries and then sees that row as a duplicate.
 */
async function appendOnce(prisma: AppPrismaClient, roomId: string, drafts: MessageDraft[]): Promise<AppendOutcome[]> {
  const authorIds = drafts.map((d) => d.authorId);
  const clientIds = drafts.map((d) => d.clientId);
  const bodies = drafts.map((d) => d.body);
  const ids = drafts.map(() => newMessageId());
  const rows = await prisma.$queryRaw<AppendRow[]>`
    WITH input AS (
      SELECT t.author_id, t.client_id, t.body, t.id, t.ord
        FROM unnest(${authorIds}::text[], ${clientIds}::text[], ${bodies}::text[], ${ids}::text[])
             WITH ORDINALITY AS t(author_id, client_id, body, id, ord)
    ),
    existing AS (
      SELECT x.* FROM messages x
       WHERE (x.author_id, x.client_id) IN (SELECT author_id, client_id FROM input)
    ),
    member AS (
      SELECT m.user_id, (m.muted_until IS NOT NULL AND m.muted_until > now()) AS muted
        FROM memberships m
       WHERE m.room_id = ${roomId} AND m.user_id IN (SELECT author_id FROM input)
    ),
    fresh AS (
      SELECT DISTINCT ON (i.author_id, i.client_id) i.*
        FROM input i
        JOIN member m ON m.user_id = i.author_id AND NOT m.muted
       WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.author_id = i.author_id AND e.client_id = i.client_id)
       ORDER BY i.author_id, i.client_id, i.ord
    ),
    numbered AS (
      SELECT f.*, row_number() OVER (ORDER BY f.ord) AS k, count(*) OVER () AS n FROM fresh f
    ),
    room AS (
      UPDATE rooms
         SET last_seq = last_seq + (SELECT count(*) FROM fresh)::int,
             last_change = last_change + (SELECT count(*) FROM fresh)::int
       WHERE id = ${roomId} AND EXISTS (SELECT 1 FROM fresh)
      RETURNING last_seq, last_change
    ),
    inserted AS (
      INSERT INTO messages (id, room_id, seq, change, client_id, author_id, body)
      SELECT n.id, ${roomId}, (r.last_seq - n.n + n.k)::int, (r.last_change - n.n + n.k)::int, n.client_id, n.author_id, n.body
        FROM numbered n CROSS JOIN room r
      RETURNING *
    ),
    -- Your own messages are read by definition: move each author's read marker.
    read_marker AS (
      UPDATE memberships m SET last_read_seq = GREATEST(m.last_read_seq, v.seq)
        FROM (SELECT author_id, max(seq) AS seq FROM inserted GROUP BY author_id) v
       WHERE m.room_id = ${roomId} AND m.user_id = v.author_id
    )
    SELECT CASE
             WHEN ins.id IS NOT NULL THEN CASE WHEN ins.id = i.id THEN 'created' ELSE 'duplicate' END
             WHEN e.id IS NOT NULL THEN CASE WHEN e.room_id = ${roomId} THEN 'duplicate' ELSE 'conflict' END
             WHEN m.user_id IS NULL THEN
               CASE WHEN EXISTS (SELECT 1 FROM rooms WHERE id = ${roomId}) THEN 'forbidden' ELSE 'not_found' END
             WHEN m.muted THEN 'muted'
           END AS status,
           COALESCE(ins.id, e.id) AS id,
           COALESCE(ins.room_id, e.room_id) AS room_id,
           COALESCE(ins.seq, e.seq) AS seq,
           COALESCE(ins.change, e.change) AS change,
           COALESCE(ins.client_id, e.client_id) AS client_id,
           COALESCE(ins.author_id, e.author_id) AS author_id,
           u.name AS author_name,
           COALESCE(ins.body, e.body) AS body,
           COALESCE(ins.created_at, e.created_at) AS created_at,
           CASE WHEN ins.id IS NULL THEN e.edited_at END AS edited_at,
           CASE WHEN ins.id IS NULL THEN e.deleted_at END AS deleted_at
      FROM input i
      LEFT JOIN inserted ins ON ins.author_id = i.author_id AND ins.client_id = i.client_id
      LEFT JOIN existing e ON e.author_id = i.author_id AND e.client_id = i.client_id
      LEFT JOIN member m ON m.user_id = i.author_id
      LEFT JOIN users u ON u.id = COALESCE(ins.author_id, e.author_id)
     ORDER BY i.ord`;
  if (rows.length !== drafts.length) throw new Error(`append returned ${rows.length} rows for ${drafts.length} drafts`);
  return rows.map((row): AppendOutcome => {
    switch (row.status) {
      case "created":
      case "duplicate":
        return { status: row.status, message: rowToMessage(row) };
      case "conflict":
      case "forbidden":
      case "muted":
      case "not_found":
        return { status: "rejected", code: row.status, message: REJECTIONS[row.status] };
      default:
        throw new Error(`append: no outcome for a draft (status ${String(row.status)})`);
    }
  });
}
