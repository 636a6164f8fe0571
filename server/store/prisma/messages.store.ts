import type { ChatMessage } from "../../../lib/contract";
import type { AppendOutcome, MessagesStore, RoomDraft } from "../../domain/ports";
import { notFound } from "../../domain/errors";
import type { Database, SqlRunner } from "../db/database";
import { sqlDate } from "../db/sql-values";
import { guard } from "./errors";
import { authorSelect, toChatMessage } from "./mappers";

const MAX_ATTEMPTS = 3;

/** The SQLSTATE of an error from node-postgres or PGlite (plain SQL through `db.sql`). */
const sqlState = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

// Errors after which PostgreSQL rolled the whole statement back and running it
// again is safe: a unique violation (23505: a concurrent insert of the same
// (author, clientId)), a deadlock (40P01) or a serialization failure (40001).
const RETRYABLE_STATES = new Set(["23505", "40P01", "40001"]);

const isRetryable = (err: unknown) => RETRYABLE_STATES.has(String(sqlState(err)));

export function createPrismaMessagesStore(db: Pick<Database, "prisma" | "sql">): MessagesStore {
  const { prisma } = db;
  return {
    appendBatch: (drafts) =>
      guard(async () => {
        // The duplicate check reads the snapshot taken before the room lock, so two
        // nodes racing with the same (author, clientId) can both pass it; the unique
        // index stops the second one, its statement rolls back (seq is not consumed)
        // and the retry sees the first one's row as a duplicate. Rooms are locked in
        // id order; the one deadlock left is two nodes inserting the same two keys in
        // opposite orders (clients resending through both), which PostgreSQL breaks by
        // aborting one statement: that one is run again, like a unique violation.
        for (let attempt = 1; ; attempt++) {
          try {
            return await appendOnce(db.sql, drafts);
          } catch (err) {
            if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
          }
        }
      }),

    findById: (messageId) =>
      guard(async () => {
        const row = await prisma.message.findUnique({ where: { id: messageId }, include: { author: authorSelect } });
        return row ? toChatMessage(row) : null;
      }),

    findByIds: (messageIds) =>
      guard(async () => {
        const rows = await prisma.message.findMany({ where: { id: { in: messageIds } }, include: { author: authorSelect } });
        return rows.map(toChatMessage);
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

function rowToMessage(row: AppendRow): ChatMessage {
  return toChatMessage({
    id: row.id!,
    roomId: row.room_id!,
    seq: Number(row.seq),
    change: Number(row.change),
    clientId: row.client_id!,
    body: row.body ?? "",
    createdAt: sqlDate(row.created_at)!,
    editedAt: sqlDate(row.edited_at),
    deletedAt: sqlDate(row.deleted_at),
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
 * ONE statement (a single implicit transaction, one round trip) for drafts to
 * any number of rooms, with the same rules and the same outcomes, in the same
 * order of precedence:
 *   stored before (same room: duplicate; another room: conflict) >
 *   not a member (not_found when the room does not exist) > muted > created;
 *   the same (author, clientId) twice in a batch: the first one that passes the
 *   membership checks is created; a later one is its duplicate (same room) or a
 *   conflict (another room), an earlier one keeps its own rejection, exactly as
 *   if they had been sent one after the other.
 * The statement has a fixed cost that dwarfs the cost of a message, so the
 * write queue sends one statement for all rooms, and it goes through `db.sql`
 * (node-postgres or PGlite) rather than `$queryRaw`: prepared once per
 * connection (planning it was ~0.85 ms of PostgreSQL CPU per call), and
 * without the Prisma client's per-call work (~0.8 ms of Node CPU against
 * ~0.3 ms for the same SQL through node-postgres).
 *
 * Seq and change: the rooms getting messages are locked (FOR NO KEY UPDATE, the
 * lock the UPDATE takes anyway) in id order, so two nodes writing to
 * overlapping sets of rooms queue up instead of deadlocking; the InitPlan on
 * `room` makes every lock and counter update finish before the first insert
 * (an insert can wait on another node's uncommitted row with the same key,
 * which must not happen while holding half the locks). The UPDATE of a room row
 * under READ COMMITTED re-reads the row after waiting for a concurrent writer
 * (another node): that is what keeps seq and change gap-free and ordered
 * across nodes. A rolled-back statement rolls back the increments too. A
 * concurrent insert of the same (author, clientId) fails this statement on the
 * unique index; the caller retries and then sees that row as a duplicate.
 *
 * Every look-up into a table that grows (messages, memberships, users, rooms)
 * is a LATERAL subquery keyed by one draft: one probe of a unique index per
 * key, whatever the planner believes about the table's size (the LIMIT 1,
 * true of a unique key anyway, keeps the planner from flattening it back into
 * a join). This matters because the statement is prepared and `db.sql`'s
 * connections keep its generic plan (server/store/db/database.ts): PostgreSQL
 * plans it once per connection. Written as plain joins, a
 * plan made while `messages` was nearly empty hash-joined against a sequential
 * scan of it, and kept doing so as it grew (1.5 -> 4.7 ms per statement after
 * 16,000 messages, linear from there) until an ANALYZE happened to invalidate
 * it; a LATERAL subquery leaves the planner only the per-key probe to cost.
 */
async function appendOnce(sql: SqlRunner, drafts: RoomDraft[]): Promise<AppendOutcome[]> {
  const roomIds = drafts.map((d) => d.roomId);
  const authorIds = drafts.map((d) => d.authorId);
  const clientIds = drafts.map((d) => d.clientId);
  const bodies = drafts.map((d) => d.body);
  // The drafts carry their ids (newMessageId(), chosen by the domain): the insert is
  // raw SQL, so Prisma's client-side @default(cuid()) does not run.
  const ids = drafts.map((d) => d.id);
  const rows = await sql<AppendRow>({ name: "append-messages", text: APPEND_SQL, values: [roomIds, authorIds, clientIds, bodies, ids] });
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

// Parameters: $1 room ids, $2 author ids, $3 client ids, $4 bodies, $5 new message ids (one per draft).
/** Exported for the plan test (tests/integration/messages-store.test.ts). */
export const APPEND_SQL = `
    WITH input AS (
      SELECT t.room_id, t.author_id, t.client_id, t.body, t.id, t.ord
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
             WITH ORDINALITY AS t(room_id, author_id, client_id, body, id, ord)
    ),
    existing AS (
      SELECT x.* FROM (SELECT DISTINCT author_id, client_id FROM input) k
        CROSS JOIN LATERAL (
          SELECT * FROM messages x WHERE x.author_id = k.author_id AND x.client_id = k.client_id LIMIT 1
        ) x
    ),
    member AS (
      SELECT m.room_id, m.user_id, (m.muted_until IS NOT NULL AND m.muted_until > now()) AS muted
        FROM (SELECT DISTINCT room_id, author_id FROM input) k
        CROSS JOIN LATERAL (
          SELECT * FROM memberships m WHERE m.room_id = k.room_id AND m.user_id = k.author_id LIMIT 1
        ) m
    ),
    fresh AS (
      SELECT DISTINCT ON (i.author_id, i.client_id) i.*
        FROM input i
        JOIN member m ON m.room_id = i.room_id AND m.user_id = i.author_id AND NOT m.muted
       WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.author_id = i.author_id AND e.client_id = i.client_id)
       ORDER BY i.author_id, i.client_id, i.ord
    ),
    -- k: position in its room's share of the batch (draft order), n: that share's size.
    numbered AS (
      SELECT f.*, row_number() OVER w AS k, count(*) OVER w AS n
        FROM fresh f
      WINDOW w AS (PARTITION BY f.room_id ORDER BY f.ord ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ),
    locked AS (
      SELECT r.id FROM rooms r WHERE r.id IN (SELECT room_id FROM fresh) ORDER BY r.id FOR NO KEY UPDATE
    ),
    room AS (
      UPDATE rooms r
         SET last_seq = r.last_seq + c.n, last_change = r.last_change + c.n
        FROM (SELECT room_id, count(*)::int AS n FROM fresh GROUP BY room_id) c
       WHERE r.id = c.room_id AND r.id IN (SELECT id FROM locked)
      RETURNING r.id, r.last_seq, r.last_change
    ),
    inserted AS (
      INSERT INTO messages (id, room_id, seq, change, client_id, author_id, body)
      SELECT n.id, n.room_id, (r.last_seq - n.n + n.k)::int, (r.last_change - n.n + n.k)::int, n.client_id, n.author_id, n.body
        FROM numbered n JOIN room r ON r.id = n.room_id
       WHERE (SELECT count(*) FROM room) > 0
      RETURNING *
    ),
    -- Your own messages are read by definition: move each author's read marker.
    read_marker AS (
      UPDATE memberships m SET last_read_seq = GREATEST(m.last_read_seq, v.seq)
        FROM (SELECT room_id, author_id, max(seq) AS seq FROM inserted GROUP BY room_id, author_id) v
       WHERE m.room_id = v.room_id AND m.user_id = v.author_id
    )
    SELECT CASE
             WHEN c.id = i.id THEN 'created'
             WHEN first.ord < i.ord THEN CASE WHEN c.room_id = i.room_id THEN 'duplicate' ELSE 'conflict' END
             WHEN e.id IS NOT NULL THEN CASE WHEN e.room_id = i.room_id THEN 'duplicate' ELSE 'conflict' END
             WHEN m.user_id IS NULL THEN CASE WHEN rr.id IS NOT NULL THEN 'forbidden' ELSE 'not_found' END
             WHEN m.muted THEN 'muted'
           END AS status,
           COALESCE(c.id, e.id) AS id,
           COALESCE(c.room_id, e.room_id) AS room_id,
           COALESCE(c.seq, e.seq) AS seq,
           COALESCE(c.change, e.change) AS change,
           COALESCE(c.client_id, e.client_id) AS client_id,
           COALESCE(c.author_id, e.author_id) AS author_id,
           u.name AS author_name,
           COALESCE(c.body, e.body) AS body,
           COALESCE(c.created_at, e.created_at) AS created_at,
           CASE WHEN c.id IS NULL THEN e.edited_at END AS edited_at,
           CASE WHEN c.id IS NULL THEN e.deleted_at END AS deleted_at
      FROM input i
      LEFT JOIN inserted c ON c.author_id = i.author_id AND c.client_id = i.client_id
      LEFT JOIN input first ON first.id = c.id
      LEFT JOIN existing e ON e.author_id = i.author_id AND e.client_id = i.client_id
      LEFT JOIN member m ON m.room_id = i.room_id AND m.user_id = i.author_id
      LEFT JOIN LATERAL (SELECT name FROM users WHERE id = i.author_id LIMIT 1) u ON true
      LEFT JOIN LATERAL (SELECT id FROM rooms WHERE id = i.room_id AND m.user_id IS NULL LIMIT 1) rr ON true
     ORDER BY i.ord`;
