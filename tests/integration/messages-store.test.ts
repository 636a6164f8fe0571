// The one-statement batch append (server/store/prisma/messages.store.ts) on real
// databases: outcomes and their precedence when one batch spans several rooms,
// and gap-free per-room seqs when batches over overlapping rooms race.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppendOutcome, MessagesStore, RoomDraft } from "../../server/domain/ports";
import { newMessageId } from "../../server/domain/message-id";
import { APPEND_SQL, createPrismaMessagesStore } from "../../server/store/prisma/messages.store";
import { backends, createTestDatabase, type TestDatabase } from "../support/databases";
import { createRoom, createUser } from "../support/fixtures";
import { genericPlanOf } from "../support/generic-plan";

const summary = (o: AppendOutcome) =>
  o.status === "rejected" ? o.code : `${o.status} ${o.message.roomId}#${o.message.seq} ${o.message.body}`;

describe.each(backends)("batch append across rooms (%s)", (backend) => {
  let database: TestDatabase;
  let store: MessagesStore;
  beforeAll(async () => {
    database = await createTestDatabase(backend);
    store = createPrismaMessagesStore(database.db);
  });
  afterAll(() => database?.dispose());

  const prisma = () => database.db.prisma;
  const user = (name: string) => createUser(prisma(), name);
  const room = (owner: { id: string }, members: { id: string }[], mutedUntil?: Date) =>
    createRoom(prisma(), owner, members, { mutedUntil });

  it("reads timestamps as UTC whatever the process's time zone, as Prisma does", async () => {
    const ann = await user("ann");
    const a = await room(ann, [ann]);
    const zone = process.env.TZ;
    process.env.TZ = "Asia/Tokyo"; // UTC+9: a timestamp read as local time would be 9 hours off
    try {
      const before = Date.now();
      const [created] = await store.appendBatch([{ id: newMessageId(), roomId: a.id, authorId: ann.id, clientId: "tz", body: "now" }]);
      if (created?.status !== "created") throw new Error(`not created: ${created?.status}`);
      const createdAt = Date.parse(created.message.createdAt);
      expect(Math.abs(createdAt - before)).toBeLessThan(60_000);
      // The same row read back through Prisma.
      expect((await store.findById(created.message.id))?.createdAt).toBe(created.message.createdAt);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("gives each draft the outcome it would get if the drafts were sent one after the other", async () => {
    const [ann, bob] = await Promise.all([user("ann"), user("bob")]);
    const a = await room(ann, [ann, bob]);
    const b = await room(ann, [ann, bob]);
    const quiet = await room(ann, [bob], new Date(Date.now() + 3_600_000));
    const [earlier] = await store.appendBatch([{ id: newMessageId(), roomId: a.id, authorId: ann.id, clientId: "old", body: "stored before" }]);
    expect(earlier!.status).toBe("created");

    const drafts: RoomDraft[] = [
      { id: newMessageId(), roomId: a.id, authorId: ann.id, clientId: "old", body: "retry" }, // stored before, same room
      { id: newMessageId(), roomId: b.id, authorId: ann.id, clientId: "old", body: "elsewhere" }, // stored before, other room
      { id: newMessageId(), roomId: quiet.id, authorId: ann.id, clientId: "k1", body: "not a member" }, // rejected, so k1 stays free
      { id: newMessageId(), roomId: b.id, authorId: ann.id, clientId: "k1", body: "b1" },
      { id: newMessageId(), roomId: a.id, authorId: bob.id, clientId: "k1", body: "a1" }, // another author: its own key
      { id: newMessageId(), roomId: b.id, authorId: ann.id, clientId: "k1", body: "b1 again" }, // same key, same room: duplicate
      { id: newMessageId(), roomId: a.id, authorId: ann.id, clientId: "k1", body: "b1 in a" }, // same key, other room: conflict
      { id: newMessageId(), roomId: quiet.id, authorId: bob.id, clientId: "k2", body: "muted" },
      { id: newMessageId(), roomId: "no-such-room", authorId: bob.id, clientId: "k3", body: "nowhere" },
      { id: newMessageId(), roomId: a.id, authorId: ann.id, clientId: "k4", body: "a2" },
      { id: newMessageId(), roomId: b.id, authorId: bob.id, clientId: "k4", body: "b2" },
    ];
    const outcomes = await store.appendBatch(drafts);
    expect(outcomes.map(summary)).toEqual([
      `duplicate ${a.id}#1 stored before`,
      "conflict",
      "forbidden",
      `created ${b.id}#1 b1`,
      `created ${a.id}#2 a1`,
      `duplicate ${b.id}#1 b1`,
      "conflict",
      "muted",
      "not_found",
      `created ${a.id}#3 a2`,
      `created ${b.id}#2 b2`,
    ]);

    const rooms = await prisma().room.findMany({ where: { id: { in: [a.id, b.id, quiet.id] } } });
    const counters = Object.fromEntries(rooms.map((r) => [r.id, [r.lastSeq, r.lastChange]]));
    expect(counters).toEqual({ [a.id]: [3, 3], [b.id]: [2, 2], [quiet.id]: [0, 0] });
    const markers = await prisma().membership.findMany({ where: { roomId: { in: [a.id, b.id] } } });
    const marker = (roomId: string, userId: string) => markers.find((m) => m.roomId === roomId && m.userId === userId)?.lastReadSeq;
    expect([marker(a.id, ann.id), marker(a.id, bob.id), marker(b.id, ann.id), marker(b.id, bob.id)]).toEqual([3, 2, 1, 2]);
  });

  it("keeps every room's seqs gap-free when batches over overlapping rooms run at once", async () => {
    const people = await Promise.all(Array.from({ length: 6 }, (_, i) => user(`racer${i}`)));
    const rooms = await Promise.all(Array.from({ length: 5 }, () => room(people[0]!, people)));
    // Each batch covers a different, overlapping set of rooms, in a different order.
    const batches = Array.from({ length: 24 }, (_, b) =>
      Array.from({ length: 10 }, (_, k): RoomDraft => {
        const r = rooms[(b * 3 + k * (b % 2 ? 2 : 3)) % rooms.length]!;
        return { id: newMessageId(), roomId: r.id, authorId: people[(b + k) % people.length]!.id, clientId: `race-${b}-${k}`, body: `${b}/${k}` };
      }),
    );
    const results = await Promise.all(batches.map((drafts) => store.appendBatch(drafts)));
    expect(results.flat().every((o) => o.status === "created")).toBe(true);

    for (const r of rooms) {
      const stored = await prisma().message.findMany({ where: { roomId: r.id }, orderBy: { seq: "asc" } });
      expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
      expect(stored.map((m) => m.change)).toEqual(stored.map((_, i) => i + 1));
      const counters = await prisma().room.findUniqueOrThrow({ where: { id: r.id } });
      expect([counters.lastSeq, counters.lastChange]).toEqual([stored.length, stored.length]);
      // Within a batch, a room's drafts get seqs in draft order.
      for (const drafts of batches) {
        const mine = stored.filter((m) => drafts.some((d) => d.clientId === m.clientId)).map((m) => Number(m.body.split("/")[1]));
        expect(mine).toEqual([...mine].sort((x, y) => x - y));
      }
    }
  });
});

// The append is a prepared statement: PostgreSQL plans it once per connection
// and keeps that generic plan for the connection's life. A plan made on a new
// deployment (tables small or empty, never analysed) must still probe indexes
// rather than scan, or every append gets slower as the tables grow until an
// ANALYZE happens to replace the plan (and never, with autovacuum off).
describe.each(backends)("the append's generic plan on a new database (%s)", (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(backend);
  });
  afterAll(() => database?.dispose());

  it("looks up messages, memberships, users and rooms by index, never by a sequential scan", async () => {
    const text = "ARRAY['x']::text[]";
    const plan = await genericPlanOf(database, APPEND_SQL, [text, text, text, text, text].join(", "));
    expect(plan).toContain("Index Scan");
    expect(plan).not.toMatch(/Seq Scan on (messages|memberships|users|rooms)\b/);
  });
});

// ...and that cached plan must be the one used. Left to choose, PostgreSQL kept
// making a custom plan for the append (its estimate for one always looked
// cheaper), re-planning the whole statement on every call.
describe.runIf(backends.includes("postgres"))("the hot statements on PostgreSQL", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase("postgres");
  });
  afterAll(() => database?.dispose());

  it("are planned once per connection: every call after the first runs the cached generic plan", async () => {
    const ann = await createUser(database.db.prisma, "ann");
    const room = await createRoom(database.db.prisma, ann, [ann]);
    const store = createPrismaMessagesStore(database.db);
    // One at a time, so the pool hands out the same connection each time (the
    // last one released), and the statistics read below are that session's.
    for (let i = 0; i < 12; i++) {
      const [outcome] = await store.appendBatch([{ id: newMessageId(), roomId: room.id, authorId: ann.id, clientId: `plan-${i}`, body: `${i}` }]);
      expect(outcome?.status).toBe("created");
    }
    const stats = await database.db.sql<{ generic_plans: string; custom_plans: string }>({
      text: "SELECT generic_plans::text, custom_plans::text FROM pg_prepared_statements WHERE name = 'append-messages'",
      values: [],
    });
    expect(stats).toEqual([{ generic_plans: "12", custom_plans: "0" }]);
  });
});
