// The statements that storms share, on real databases: handshakes arriving
// together read their connection profiles with one statement, and users going
// offline together have their "last seen" recorded and their rooms looked up
// with one statement each (server/store/prisma/users.store.ts, index.ts);
// each caller still gets its own user's answer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomsStore, UsersStore } from "../../server/domain/ports";
import type { SqlRunner } from "../../server/store/db/database";
import { createPrismaStores } from "../../server/store/prisma";
import { CONNECTION_PROFILES_SQL } from "../../server/store/prisma/users.store";
import { backends, createTestDatabase, type TestDatabase } from "../support/databases";
import { createRoom, createUser } from "../support/fixtures";
import { genericPlanOf } from "../support/generic-plan";

describe.each(backends)("batched user look-ups and writes (%s)", (backend) => {
  let database: TestDatabase;
  let store: UsersStore;
  let rooms: RoomsStore;
  let statements = 0;
  beforeAll(async () => {
    database = await createTestDatabase(backend);
    const sql: SqlRunner = (query) => {
      statements += 1;
      return database.db.sql(query);
    };
    // As the server wires them: the rooms store reads a user's rooms through the users store.
    ({ users: store, rooms } = createPrismaStores({ prisma: database.db.prisma, sql }));
  });
  afterAll(() => database?.dispose());

  const prisma = () => database.db.prisma;
  const user = (name: string, bannedAt?: Date) => createUser(prisma(), name, { bannedAt });
  const room = (owner: { id: string }, members: { id: string }[]) => createRoom(prisma(), owner, members);

  // Prepared, so planned once per connection: on a new deployment (tables small,
  // never analysed) the cached plan must still probe indexes, or every handshake
  // gets slower as memberships grows.
  it("finds each user's rooms through the memberships index, never a sequential scan", async () => {
    const plan = await genericPlanOf(database, CONNECTION_PROFILES_SQL, "ARRAY['a', 'b']::text[]");
    expect(plan).toContain("Index");
    expect(plan).not.toMatch(/Seq Scan on (memberships|users)\b/);
  });

  it("answers handshakes that arrive together with one statement, each with its own user's profile", async () => {
    const [ann, bob, cat] = await Promise.all([user("ann"), user("bob"), user("cat", new Date())]);
    const both = await room(ann, [ann, bob]);
    const annOnly = await room(ann, [ann]);
    const catRoom = await room(cat, [cat]);
    const asked = [ann.id, bob.id, cat.id, "no-such-user", ann.id, ...Array.from({ length: 25 }, () => bob.id)];

    statements = 0;
    const profiles = await Promise.all(asked.map((id) => store.connectionProfile(id)));
    expect(statements).toBe(1);
    const sorted = (p: { roomIds: string[]; suspended: boolean }) => ({ ...p, roomIds: [...p.roomIds].sort() });
    expect(sorted(profiles[0]!)).toEqual({ roomIds: [both.id, annOnly.id].sort(), suspended: false });
    expect(profiles[1]).toEqual({ roomIds: [both.id], suspended: false });
    expect(profiles[2]).toEqual({ roomIds: [catRoom.id], suspended: true });
    expect(profiles[3]).toEqual({ roomIds: [], suspended: false });
    expect(sorted(profiles[4]!)).toEqual(sorted(profiles[0]!));
    for (const p of profiles.slice(5)) expect(p).toEqual({ roomIds: [both.id], suspended: false });
  });

  it("reads afresh for every handshake: a suspension or a new room counts from the next one", async () => {
    const [dan, eve] = await Promise.all([user("dan"), user("eve")]);
    expect(await store.connectionProfile(dan.id)).toEqual({ roomIds: [], suspended: false });
    const r = await room(eve, [eve, dan]);
    await prisma().user.update({ where: { id: dan.id }, data: { bannedAt: new Date() } });
    statements = 0;
    expect(await store.connectionProfile(dan.id)).toEqual({ roomIds: [r.id], suspended: true });
    expect(statements).toBe(1);
  });

  it("records the last seen of users going offline together with one statement, and only ever moves it forward", async () => {
    const [fay, gus, hal] = await Promise.all([user("fay"), user("gus"), user("hal")]);
    const earlier = new Date("2026-01-01T10:00:00.000Z");
    const later = new Date("2026-01-01T12:30:00.250Z");
    await prisma().user.update({ where: { id: hal.id }, data: { lastSeenAt: later } });

    statements = 0;
    await Promise.all([
      store.markLastSeen(fay.id, earlier),
      store.markLastSeen(gus.id, later),
      store.markLastSeen(fay.id, later), // the same user twice in a batch: the later time wins
      store.markLastSeen(hal.id, earlier), // older than what is stored: left as it is
      store.markLastSeen("no-such-user", later),
    ]);
    expect(statements).toBe(1);
    const seen = async (id: string) => (await prisma().user.findUniqueOrThrow({ where: { id } })).lastSeenAt?.toISOString();
    expect(await seen(fay.id)).toBe(later.toISOString());
    expect(await seen(gus.id)).toBe(later.toISOString());
    expect(await seen(hal.id)).toBe(later.toISOString());

    // A later batch moves it on; an earlier one does not move it back.
    const latest = new Date("2026-01-02T08:00:00.000Z");
    await Promise.all([store.markLastSeen(fay.id, latest), store.markLastSeen(gus.id, earlier)]);
    expect(await seen(fay.id)).toBe(latest.toISOString());
    expect(await seen(gus.id)).toBe(later.toISOString());
  });

  it("looks up the rooms of users asked for together with one statement, each with its own rooms", async () => {
    const [ida, jon, kim] = await Promise.all([user("ida"), user("jon"), user("kim")]);
    const both = await room(ida, [ida, jon]);
    const idaOnly = await room(ida, [ida]);

    statements = 0;
    const asked = [ida.id, jon.id, kim.id, "no-such-user", jon.id];
    const answers = await Promise.all(asked.map((id) => rooms.listMemberRoomIds(id)));
    expect(statements).toBe(1);
    expect([...answers[0]!].sort()).toEqual([both.id, idaOnly.id].sort());
    expect(answers[1]).toEqual([both.id]);
    expect(answers[2]).toEqual([]);
    expect(answers[3]).toEqual([]);
    expect(answers[4]).toEqual([both.id]);
  });
});
