import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { RoomSummary } from "../../lib/contract";
import { COMMAND_RATE_LIMIT } from "../../server/realtime/command";
import { createRateLimits } from "../../server/store/rate-limits";
import { socketFor } from "../support/clients";
import { createTestDatabase, postgresUrl, type TestDatabase } from "../support/databases";
import { startNode, type NodeProcess } from "../support/node-process";
import { redisUrl } from "../support/redis";
import { call, ok, startTestServer, waitForConnect, type ClientSocket } from "../support/test-server";
import { createRoom, createUser } from "../support/fixtures";

const limits = { messagesPer10s: 5, roomsPerHour: 2, authAttemptsPer15m: 3 };

describe("rate limits (embedded, in memory)", () => {
  it("answers `rate_limited` with the wait once a user's budget is spent, and keeps others unaffected", async () => {
    const server = await startTestServer("pglite", { limits: createRateLimits(limits) });
    try {
      const a = await server.signUpAndConnect("Fast");
      const b = await server.signUpAndConnect("Calm");
      const { room } = await ok<{ room: RoomSummary }>(a.socket, "room:create", { name: `rl-${randomUUID().slice(0, 6)}` });
      await ok(b.socket, "room:join", { roomId: room.id });
      const send = (s: ClientSocket) => call(s, "message:send", { roomId: room.id, clientId: randomUUID(), body: "x" });
      for (let i = 0; i < 5; i++) expect((await send(a.socket)).ok).toBe(true);
      const limited = await send(a.socket);
      expect(limited).toMatchObject({ ok: false, error: { code: "rate_limited" } });
      if (!limited.ok) expect(limited.error.message).toMatch(/Try again in \d+ s/);
      expect((await send(b.socket)).ok).toBe(true);
      // Room creation has its own budget.
      await ok(a.socket, "room:create", { name: `rl2-${randomUUID().slice(0, 6)}` });
      expect(await call(a.socket, "room:create", { name: `rl3-${randomUUID().slice(0, 6)}` })).toMatchObject({
        ok: false,
        error: { code: "rate_limited" },
      });
      // Sign-in attempts per email.
      const user = await server.createUser("Guess");
      for (let i = 0; i < 3; i++) expect(await server.services.users.verifyCredentials({ email: user.email, password: "wrong" })).toBeNull();
      await expect(server.services.users.verifyCredentials({ email: user.email, password: "wrong" })).rejects.toMatchObject({
        code: "rate_limited",
      });
    } finally {
      await server.close();
    }
  });
});

describe("a socket's command budget", () => {
  it("answers `rate_limited` past COMMAND_RATE_LIMIT, refills, and leaves other sockets and message:send alone", async () => {
    const server = await startTestServer("pglite");
    try {
      const greedy = await server.signUpAndConnect("Greedy");
      const other = await server.signUpAndConnect("Other");
      const { room } = await ok<{ room: RoomSummary }>(greedy.socket, "room:create", { name: `budget-${randomUUID().slice(0, 6)}` });

      // One more than the burst, and then some, all at once: a script looping on a read.
      const burst = COMMAND_RATE_LIMIT.capacity + 30;
      const results = await Promise.all(Array.from({ length: burst }, () => call(greedy.socket, "room:members", { roomId: room.id })));
      const answered = results.filter((r) => r.ok).length;
      const refused = results.filter((r) => !r.ok);
      // room:create took one token; the refill while the burst arrives may add a few.
      expect(answered).toBeGreaterThanOrEqual(COMMAND_RATE_LIMIT.capacity - 1);
      expect(answered).toBeLessThan(COMMAND_RATE_LIMIT.capacity + 10);
      expect(refused.length).toBe(burst - answered);
      for (const r of refused) expect(r).toMatchObject({ ok: false, error: { code: "rate_limited", message: expect.stringMatching(/Try again/) } });

      // The budget is the socket's: another user's socket is answered, and so are this user's sends (a budget of their own).
      expect((await call(other.socket, "room:list", {})).ok).toBe(true);
      expect((await call(greedy.socket, "message:send", { roomId: room.id, clientId: randomUUID(), body: "still here" })).ok).toBe(true);

      // It refills at COMMAND_RATE_LIMIT.refillPerSecond: a second later a burst of that size is answered.
      await new Promise((r) => setTimeout(r, 1_000));
      const again = await Promise.all(Array.from({ length: COMMAND_RATE_LIMIT.refillPerSecond }, () => call(greedy.socket, "room:list", {})));
      expect(again.every((r) => r.ok)).toBe(true);
      expect(greedy.socket.connected).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe.runIf(Boolean(postgresUrl && redisUrl))("rate limits across nodes (Redis)", () => {
  let database: TestDatabase;
  const nodes: NodeProcess[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop("SIGTERM")));
    await database?.dispose();
  });

  it("shares one budget per user across every node", async () => {
    database = await createTestDatabase("postgres");
    // The nodes share this file's Redis namespace (startNode), so the budget is this test's alone.
    const env = { RATE_LIMIT_MESSAGES_PER_10S: "6" };
    nodes.push(await startNode({ databaseUrl: database.url!, redisUrl, env }));
    nodes.push(await startNode({ databaseUrl: database.url!, redisUrl, env }));
    const user = await createUser(database.db.prisma, "Busy");
    const room = await createRoom(database.db.prisma, user, [user]);
    const sockets = nodes.map((n) => socketFor(n.url, user));
    await Promise.all(sockets.map(waitForConnect));
    const results = [];
    for (let i = 0; i < 8; i++) {
      results.push(await call(sockets[i % 2]!, "message:send", { roomId: room.id, clientId: randomUUID(), body: `${i}` }));
    }
    sockets.forEach((s) => s.disconnect());
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true, true, false, false]);
  });
});
