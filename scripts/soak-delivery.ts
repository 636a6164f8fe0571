// Delivery soak: N clients send into one room for a bounded time while their
// connections are cut at random (as a flaky network would: no goodbye), then
// every client's view is compared with what was acknowledged.
//   npm run test:delivery -- --clients 20 --seconds 15
// Uses PostgreSQL when TEST_DATABASE_URL is set, else an in-memory PGlite.
// Exits non-zero unless delivered = sent and nothing is missing, duplicated or
// out of order.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { DeliveryClient } from "../tests/support/delivery-client";
import { postgresUrl } from "../tests/support/databases";
import { startTestServer, until, waitForConnect } from "../tests/support/test-server";
import { io as connect } from "socket.io-client";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "20" },
    seconds: { type: "string", default: "15" },
    "send-every-ms": { type: "string", default: "150" },
    "cut-every-ms": { type: "string", default: "1500" },
  },
});
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const SEND_EVERY_MS = Number(values["send-every-ms"]);
const CUT_EVERY_MS = Number(values["cut-every-ms"]);

async function main(): Promise<number> {
  const backend = postgresUrl ? "postgres" : "pglite";
  const server = await startTestServer(backend);
  const users = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => server.createUser(`soak${i}`)));
  const room = await server.services.rooms.create(
    { ...users[0]!, role: "USER" },
    { name: `soak-${randomUUID().slice(0, 8)}`, isPublic: true },
  );
  for (const u of users.slice(1)) await server.services.rooms.join({ ...u, role: "USER" }, room.id);

  const clients = await Promise.all(
    users.map(async (user) => {
      const socket = connect(server.url, {
        forceNew: true,
        autoConnect: false,
        transports: ["websocket"],
        reconnectionDelay: 50,
        reconnectionDelayMax: 500,
        auth: (cb) => void server.services.tokens.issue({ ...user, role: "USER" }).then(({ token }) => cb({ token })),
      });
      const client = new DeliveryClient(socket, [room.id], 3_000);
      await waitForConnect(socket);
      return client;
    }),
  );

  console.log(`soak: ${CLIENTS} clients, ${SECONDS} s, ${backend}, a send every ~${SEND_EVERY_MS} ms per client, a cut every ~${CUT_EVERY_MS} ms per client`);
  const started = Date.now();
  let sent = 0;
  let cuts = 0;
  const timers: NodeJS.Timeout[] = [];
  const jitter = (ms: number) => ms / 2 + Math.random() * ms;
  for (const client of clients) {
    const sendLoop = () => {
      if (Date.now() - started > SECONDS * 1000) return;
      client.send(room.id, `m${sent++}`);
      timers.push(setTimeout(sendLoop, jitter(SEND_EVERY_MS)));
    };
    const cutLoop = () => {
      if (Date.now() - started > SECONDS * 1000) return;
      // A network failure: the transport dies without a disconnect packet;
      // socket.io-client reconnects by itself.
      if (client.socket.connected) {
        client.socket.io.engine.close();
        cuts += 1;
      }
      timers.push(setTimeout(cutLoop, jitter(CUT_EVERY_MS)));
    };
    sendLoop();
    timers.push(setTimeout(cutLoop, jitter(CUT_EVERY_MS)));
  }
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  timers.forEach(clearTimeout);

  // Let outboxes drain, then let every client converge.
  await until(() => clients.every((c) => c.pending === 0 && c.socket.connected), 60_000, "outboxes to drain");
  const acked = new Map<string, number>();
  for (const c of clients) for (const [clientId, m] of c.acked) acked.set(clientId, m.seq);
  await Promise.all(clients.map((c) => c.sync(room.id)));
  await until(() => clients.every((c) => c.lastSeq(room.id) >= acked.size), 30_000, "clients to converge").catch(() => {});

  const stored = await server.database.db.prisma.message.findMany({ where: { roomId: room.id }, select: { clientId: true, seq: true } });
  const storedByClientId = new Map<string, number>();
  let duplicatedInDb = 0;
  for (const m of stored) {
    if (storedByClientId.has(m.clientId)) duplicatedInDb += 1;
    storedByClientId.set(m.clientId, m.seq);
  }
  const rejected = clients.reduce((n, c) => n + c.rejected.length, 0);

  const rows = clients.map((c, i) => {
    const timeline = c.timeline(room.id);
    const seen = new Map<string, number>();
    let duplicated = 0;
    for (const m of timeline) {
      if (seen.has(m.clientId)) duplicated += 1;
      seen.set(m.clientId, m.seq);
    }
    const missing = [...acked.keys()].filter((id) => !seen.has(id)).length;
    const outOfOrder = timeline.filter((m, k) => m.seq !== k + 1).length;
    return { client: i, delivered: seen.size, duplicated, missing, outOfOrder, reconnects: c.reconnects };
  });
  await Promise.all(clients.map((c) => c.socket.disconnect()));
  await server.close();

  const total = (key: "delivered" | "duplicated" | "missing" | "outOfOrder" | "reconnects") =>
    rows.reduce((n, r) => n + r[key], 0);
  console.log("\n| metric | value |\n|---|---|");
  console.log(`| sent (queued by clients) | ${sent} |`);
  console.log(`| acknowledged | ${acked.size} |`);
  console.log(`| stored in the database | ${stored.length} |`);
  console.log(`| rejected by the server | ${rejected} |`);
  console.log(`| connection cuts | ${cuts} |`);
  console.log(`| reconnects | ${total("reconnects")} |`);
  console.log(`| delivered (per client, min / max) | ${Math.min(...rows.map((r) => r.delivered))} / ${Math.max(...rows.map((r) => r.delivered))} |`);
  console.log(`| duplicated (all clients + database) | ${total("duplicated") + duplicatedInDb} |`);
  console.log(`| missing (all clients) | ${total("missing")} |`);
  console.log(`| out of order (all clients) | ${total("outOfOrder")} |`);

  const perfect =
    acked.size === sent &&
    stored.length === sent &&
    rejected === 0 &&
    rows.every((r) => r.delivered === sent && r.duplicated === 0 && r.missing === 0 && r.outOfOrder === 0) &&
    duplicatedInDb === 0;
  console.log(perfect ? "\nsoak: PASS (delivered = sent; 0 duplicated, 0 missing, 0 out of order)" : "\nsoak: FAIL");
  return perfect ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
