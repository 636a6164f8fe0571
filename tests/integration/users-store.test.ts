// The handshake's connection profile (server/store/prisma/users.store.ts) on
// real databases: handshakes arriving together share one statement, and each
// still gets its own user's rooms and suspension.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UsersStore } from "../../server/domain/ports";
import type { SqlRunner } from "../../server/store/db/database";
import { CONNECTION_PROFILES_SQL, createPrismaUsersStore } from "../../server/store/prisma/users.store";
import { backends, createTestDatabase, type TestDatabase } from "../support/databases";
import { createRoom, createUser } from "../support/fixtures";
import { genericPlanOf } from "../support/generic-plan";

describe.each(backends)("connection profiles (%s)", (backend) => {
  let database: TestDatabase;
  let store: UsersStore;
  let statements = 0;
  beforeAll(async () => {
    database = await createTestDatabase(backend);
    const sql: SqlRunner = (query) => {
      statements += 1;
      return database.db.sql(query);
    };
    store = createPrismaUsersStore({ prisma: database.db.prisma, sql });
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
});
