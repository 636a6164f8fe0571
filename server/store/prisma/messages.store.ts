import type { AppendOutcome, MessageDraft, MessagesStore } from "../../domain/ports";
import { notFound } from "../../domain/errors";
import type { AppPrismaClient } from "../db/database";
import { guard, isUniqueViolation } from "./errors";
import { authorSelect, toChatMessage, type MessageRow } from "./mappers";

type Tx = Parameters<Parameters<AppPrismaClient["$transaction"]>[0]>[0];

const MAX_UNIQUE_RETRIES = 3;
const keyOf = (authorId: string, clientId: string) => `${authorId}\u0000${clientId}`;

export function createPrismaMessagesStore(prisma: AppPrismaClient): MessagesStore {
  return {
    appendBatch: (roomId, drafts) =>
      guard(async () => {
        // The duplicate check runs before the room lock, so two nodes racing with the
        // same (author, clientId) can both pass it; the unique index stops the second
        // one, its transaction rolls back (seq is not consumed) and the retry sees the
        // first one's row as a duplicate.
        for (let attempt = 1; ; attempt++) {
          try {
            return await prisma.$transaction((tx) => appendInTransaction(tx, roomId, drafts), {
              maxWait: 5_000,
              timeout: 10_000,
            });
          } catch (err) {
            if (!isUniqueViolation(err) || attempt >= MAX_UNIQUE_RETRIES) throw err;
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

async function appendInTransaction(tx: Tx, roomId: string, drafts: MessageDraft[]): Promise<AppendOutcome[]> {
  const authorIds = [...new Set(drafts.map((d) => d.authorId))];
  const [members, existing] = await Promise.all([
    tx.membership.findMany({ where: { roomId, userId: { in: authorIds } }, select: { userId: true, mutedUntil: true } }),
    tx.message.findMany({
      where: { OR: drafts.map((d) => ({ authorId: d.authorId, clientId: d.clientId })) },
      include: { author: authorSelect },
    }),
  ]);
  const memberById = new Map(members.map((m) => [m.userId, m]));
  const existingByKey = new Map(existing.map((m) => [keyOf(m.authorId, m.clientId), m]));
  const now = Date.now();

  // First pass: decide each draft's fate; collect the ones to insert.
  const outcomes: (AppendOutcome | { status: "pending"; key: string })[] = [];
  const fresh: MessageDraft[] = [];
  const freshKeys = new Set<string>();
  for (const draft of drafts) {
    const key = keyOf(draft.authorId, draft.clientId);
    const stored = existingByKey.get(key);
    const member = memberById.get(draft.authorId);
    if (stored) {
      outcomes.push(
        stored.roomId === roomId
          ? { status: "duplicate", message: toChatMessage(stored) }
          : { status: "rejected", code: "conflict", message: "This clientId was already used for another room" },
      );
    } else if (!member) {
      outcomes.push({ status: "rejected", code: "forbidden", message: "You are not a member of this room" });
    } else if (member.mutedUntil && member.mutedUntil.getTime() > now) {
      outcomes.push({ status: "rejected", code: "muted", message: "You are muted in this room" });
    } else {
      outcomes.push({ status: "pending", key });
      if (!freshKeys.has(key)) {
        freshKeys.add(key);
        fresh.push(draft);
      }
    }
  }
  if (fresh.length === 0) {
    // Only on this cold path: tell "no such room" apart from "not a member".
    const forbidden = outcomes.some((o) => o.status === "rejected" && o.code === "forbidden");
    if (forbidden && !(await tx.room.findUnique({ where: { id: roomId }, select: { id: true } }))) {
      return outcomes.map((o) =>
        o.status === "rejected" && o.code === "forbidden" ? { ...o, code: "not_found", message: "Room not found" } : o,
      ) as AppendOutcome[];
    }
    return outcomes as AppendOutcome[];
  }

  // The UPDATE takes the room's row lock until commit: this is what serialises
  // seq assignment across every server process. seq and change stay gap-free
  // because a rolled-back transaction rolls back the increment too.
  const room = await tx.room.update({
    where: { id: roomId },
    data: { lastSeq: { increment: fresh.length }, lastChange: { increment: fresh.length } },
    select: { lastSeq: true, lastChange: true },
  });
  const firstSeq = room.lastSeq - fresh.length + 1;
  const firstChange = room.lastChange - fresh.length + 1;
  const rows: MessageRow[] = await tx.message.createManyAndReturn({
    data: fresh.map((d, i) => ({
      roomId,
      seq: firstSeq + i,
      change: firstChange + i,
      clientId: d.clientId,
      authorId: d.authorId,
      body: d.body,
    })),
    include: { author: authorSelect },
  });

  // Your own messages are read by definition: move each author's read marker.
  const lastSeqByAuthor = new Map<string, number>();
  for (const row of rows) lastSeqByAuthor.set(row.author.id, Math.max(row.seq, lastSeqByAuthor.get(row.author.id) ?? 0));
  await tx.$executeRaw`
    UPDATE memberships m SET last_read_seq = GREATEST(m.last_read_seq, v.seq)
      FROM unnest(${[...lastSeqByAuthor.keys()]}::text[], ${[...lastSeqByAuthor.values()]}::int[]) AS v(user_id, seq)
     WHERE m.room_id = ${roomId} AND m.user_id = v.user_id`;

  const createdByKey = new Map(rows.map((r) => [keyOf(r.author.id, r.clientId), toChatMessage(r)]));
  const reported = new Set<string>();
  return outcomes.map((o) => {
    if (o.status !== "pending") return o;
    const message = createdByKey.get(o.key);
    if (!message) throw new Error("inserted message missing from RETURNING");
    // The same clientId twice in one batch: the first is "created", the rest duplicates.
    const status = reported.has(o.key) ? "duplicate" : "created";
    reported.add(o.key);
    return { status, message };
  });
}
