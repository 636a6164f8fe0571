// Chaos test: 200 clients in 10 rooms, connected through HAProxy to three
// Parley processes sharing PostgreSQL and a private Redis. While they send:
//   (a) Redis is killed and restarted,
//   (b) one node is SIGKILLed and started again,
//   (c) another node is SIGTERMed (rolling deploy) and started again.
// Then every client's view of its room is compared with what was acknowledged.
//   TEST_DATABASE_URL=postgres://... npm run test:chaos -- --clients 200 --seconds 40
// Exits non-zero unless nothing is missing, duplicated or out of order.
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { socketFor } from "../tests/support/clients";
import { createTestDatabase, postgresUrl } from "../tests/support/databases";
import { DeliveryClient } from "../tests/support/delivery-client";
import { startNode, type NodeProcess } from "../tests/support/node-process";
import { freePort } from "../tests/support/ports";
import { until, waitForConnect } from "../tests/support/test-server";
import { startHaproxy } from "./lib/haproxy";
import { startRedisServer } from "./lib/redis-server";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "200" },
    rooms: { type: "string", default: "10" },
    seconds: { type: "string", default: "40" },
    "send-every-ms": { type: "string", default: "3000" },
  },
});
const CLIENTS = Number(values.clients);
const ROOMS = Number(values.rooms);
const SECONDS = Number(values.seconds);
const SEND_EVERY_MS = Number(values["send-every-ms"]);

const log = (started: number, message: string) => console.log(`[chaos +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (values: number[], p: number) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

async function main(): Promise<number> {
  if (!postgresUrl) {
    console.warn("chaos: SKIPPED: it needs PostgreSQL; set TEST_DATABASE_URL (CI does)");
    return 0;
  }
  if (spawnSync("haproxy", ["-v"]).error) {
    if (process.env.CI) throw new Error("haproxy is not installed (apt-get install haproxy)");
    console.warn("chaos: SKIPPED: haproxy is not installed (apt-get install haproxy)");
    return 0;
  }
  const database = await createTestDatabase("postgres");
  const redis = await startRedisServer(await freePort());
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const startNodeAt = (i: number) =>
    startNode({ databaseUrl: database.url!, redisUrl: redis.url, nodeId: `app${i + 1}`, port: ports[i]!, env: { LOG_LEVEL: "error" } });
  const nodes: NodeProcess[] = [];
  for (let i = 0; i < 3; i++) nodes.push(await startNodeAt(i));
  const lb = await startHaproxy({ port: await freePort(), backends: ports.map((p) => `127.0.0.1:${p}`) });

  const clients: DeliveryClient[] = [];
  const cleanup = async () => {
    for (const c of clients) c.socket.disconnect();
    await lb.stop();
    await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
    await redis.stop();
    await database.dispose();
  };
  try {
    return await run(clients);
  } finally {
    await cleanup();
  }

  async function run(clients: DeliveryClient[]): Promise<number> {
    const prisma = database.db.prisma;
    const users = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) =>
        prisma.user.create({ data: { email: `chaos${i}-${randomUUID()}@t.test`, name: `chaos${i}`, passwordHash: "x" } }),
      ),
    );
    const roomIds: string[] = [];
    for (let r = 0; r < ROOMS; r++) {
      const members = users.filter((_, i) => i % ROOMS === r);
      const room = await prisma.room.create({
        data: { name: `chaos-${r}-${randomUUID().slice(0, 6)}`, createdById: members[0]!.id, memberships: { create: members.map((m) => ({ userId: m.id })) } },
      });
      roomIds.push(room.id);
    }
    clients.push(...await Promise.all(
      users.map(async (user, i) => {
        const socket = socketFor(lb.url, user, { reconnection: true });
        const client = new DeliveryClient(socket, [roomIds[i % ROOMS]!], 3_000);
        await waitForConnect(socket);
        return client;
      }),
    ));

    const started = Date.now();
    log(started, `${CLIENTS} clients in ${ROOMS} rooms through HAProxy to 3 nodes; sending for ${SECONDS} s`);
    let sending = true;
    let sent = 0;
    const loops = clients.map(async (client, i) => {
      await sleep(Math.random() * SEND_EVERY_MS);
      while (sending) {
        client.send(roomIds[i % ROOMS]!, `c${i}-${sent++}`);
        await sleep(SEND_EVERY_MS / 2 + Math.random() * SEND_EVERY_MS);
      }
    });

    const at = (fraction: number) => sleep(Math.max(0, started + fraction * SECONDS * 1000 - Date.now()));
    await at(0.2);
    log(started, "(a) Redis: SIGKILL");
    await redis.kill();
    await sleep(3_000);
    await redis.start();
    log(started, "(a) Redis: back");

    await at(0.45);
    log(started, "(b) app1: SIGKILL");
    await nodes[0]!.stop("SIGKILL");
    await sleep(2_000);
    nodes[0] = await startNodeAt(0);
    log(started, "(b) app1: restarted");

    await at(0.7);
    log(started, "(c) app2: SIGTERM (graceful)");
    const code = await nodes[1]!.stop("SIGTERM");
    log(started, `(c) app2: exited with ${code}`);
    await sleep(1_000);
    nodes[1] = await startNodeAt(1);
    log(started, "(c) app2: restarted");

    await at(1);
    sending = false;
    await Promise.all(loops);
    log(started, "stopped sending; waiting for outboxes to drain");
    await until(() => clients.every((c) => c.pending === 0 && c.socket.connected), 90_000, "outboxes to drain");
    await Promise.all(clients.map((c, i) => c.sync(roomIds[i % ROOMS]!)));

    // What the server acknowledged, per room.
    const ackedByRoom = new Map<string, Set<string>>(roomIds.map((id) => [id, new Set()]));
    for (const c of clients) for (const [clientId, m] of c.acked) ackedByRoom.get(m.roomId)?.add(clientId);
    const acked = [...ackedByRoom.values()].reduce((n, s) => n + s.size, 0);
    await until(
      () => clients.every((c, i) => c.lastSeq(roomIds[i % ROOMS]!) >= ackedByRoom.get(roomIds[i % ROOMS]!)!.size),
      30_000,
      "clients to converge",
    ).catch(() => log(started, "some clients did not converge in 30 s"));

    let delivered = 0;
    let expected = 0;
    let duplicated = 0;
    let missing = 0;
    let outOfOrder = 0;
    for (const [i, c] of clients.entries()) {
      const roomId = roomIds[i % ROOMS]!;
      const timeline = c.timeline(roomId);
      const seen = new Set<string>();
      for (const m of timeline) {
        if (seen.has(m.clientId)) duplicated += 1;
        seen.add(m.clientId);
      }
      const want = ackedByRoom.get(roomId)!;
      expected += want.size;
      delivered += [...want].filter((id) => seen.has(id)).length;
      missing += [...want].filter((id) => !seen.has(id)).length;
      outOfOrder += timeline.filter((m, k) => m.seq !== k + 1).length;
    }
    const stored = await prisma.message.count({ where: { roomId: { in: roomIds } } });
    const rejected = clients.reduce((n, c) => n + c.rejected.length, 0);
    const reconnectTimes = clients.flatMap((c) => c.reconnectTimesMs);
    const reconnects = clients.reduce((n, c) => n + c.reconnects, 0);


    console.log("\n| metric | value |\n|---|---|");
    console.log(`| clients / rooms / nodes | ${CLIENTS} / ${ROOMS} / 3 |`);
    console.log(`| sent (queued by clients) | ${sent} |`);
    console.log(`| acknowledged | ${acked} |`);
    console.log(`| stored in the database | ${stored} |`);
    console.log(`| rejected by the server | ${rejected} |`);
    console.log(`| deliveries expected (acked x room members) | ${expected} |`);
    console.log(`| delivered | ${delivered} |`);
    console.log(`| duplicated | ${duplicated} |`);
    console.log(`| missing | ${missing} |`);
    console.log(`| out of order | ${outOfOrder} |`);
    console.log(`| client disconnects | ${reconnects} |`);
    console.log(`| reconnect time p50 / p95 / max (ms) | ${percentile(reconnectTimes, 50)} / ${percentile(reconnectTimes, 95)} / ${Math.max(0, ...reconnectTimes)} |`);

    const pass = acked === sent && stored === sent && rejected === 0 && delivered === expected && duplicated === 0 && missing === 0 && outOfOrder === 0;
    console.log(pass ? "\nchaos: PASS" : "\nchaos: FAIL");
    return pass ? 0 : 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
