import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { RoomSummary } from "../../lib/contract";
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
