// Does a node give back what its clients took, every time? Connects N clients,
// lets them all leave (and be announced offline), and reads the node's memory
// after a full GC; K times over. A leak grows from cycle to cycle; caches and
// compiled code are paid once.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres TEST_REDIS_URL=redis://127.0.0.1:6379 \
//     npm run bench:cycles -- [--clients 5000] [--cycles 5]
//
// A throwaway database, one production-bundled Parley node (Redis when its URL
// is set), users in 10 rooms, the lean client (as the load generator's), at
// most 200 handshakes in flight. Prints a table; checks nothing.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { createSocketTokens } from "../server/domain/socket-tokens";
import { openMigratedDatabase } from "../server/store/db/database";
import { createThrowawayDatabase } from "../scripts/lib/throwaway-database";
import { createBenchSocket, type BenchSocket } from "./lib/bench-socket";
import { buildEntries, parleyEnv, startServer, type ServerProcess } from "./lib/processes";
import { benchRedisUrl, deleteKeysUnder, offlineQueueDrained } from "./lib/redis";
import { createRooms, createUsers, newTag } from "./lib/seed";
import { requireBenchDatabaseUrl } from "./lib/postgres";
import { heapAndExternal, int, mb } from "./lib/stats";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "5000" },
    cycles: { type: "string", default: "5" },
  },
});
const CLIENTS = Number(values.clients);
const CYCLES = Number(values.cycles);
const ROOMS = 10;
const IN_FLIGHT = 200;
const adminUrl = requireBenchDatabaseUrl("leak-cycles");
const log = (line: string) => console.log(`[leak-cycles] ${line}`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const tag = newTag();
const authSecret = randomBytes(32).toString("base64url");
const redisPrefix = `parley-bench-${tag}`;
const database = await createThrowawayDatabase(adminUrl, `parley_bench_${tag}`);
let server: ServerProcess | undefined;

/** Opens every client, at most IN_FLIGHT handshakes at once. */
async function connectAll(url: string, tokens: string[]): Promise<BenchSocket[]> {
  const sockets: BenchSocket[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tokens.length) {
      const socket = createBenchSocket("lean", url, { token: tokens[next++]! });
      await socket.connect(60_000);
      sockets.push(socket);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return sockets;
}

/** Until the node announced every departed user offline (the grace period and the sweep). */
async function offlineSettled(): Promise<void> {
  // The queue fills as the node notices the disconnects: give it a moment before watching it empty.
  await sleep(500);
  // Without Redis the queue is inside the node: wait out the grace period (3 s) and a sweep.
  if (benchRedisUrl) await offlineQueueDrained(redisPrefix);
  else await sleep(4_500);
}

try {
  const db = await openMigratedDatabase({ kind: "postgres", url: database.url, poolSize: 2 });
  const users = await createUsers(db.prisma, { count: CLIENTS, tag, prefix: "c", passwordHash: "-" });
  await createRooms(
    db.prisma,
    Array.from({ length: ROOMS }, (_, r) => ({ id: `r${tag}${r}`, name: `cycles-${tag}-${r}`, createdById: users[r]!.id, members: users.filter((_, i) => i % ROOMS === r).map((u) => u.id) })),
  );
  await db.sql({ text: "VACUUM ANALYZE users, memberships", values: [] });
  await db.close();
  const socketTokens = createSocketTokens({ secret: authSecret, ttlSeconds: 3_600 });
  const tokens = await Promise.all(users.map(async (u) => (await socketTokens.issue({ id: u.id, name: u.name, role: "USER" })).token));

  const entries = await buildEntries();
  server = await startServer({
    label: "Parley",
    entry: entries.parley,
    probe: entries.probe,
    env: { ...parleyEnv(authSecret), DATABASE_URL: database.url, ...(benchRedisUrl ? { REDIS_URL: benchRedisUrl, REDIS_PREFIX: redisPrefix } : {}) },
  });
  // The migration engine keeps itself reachable for ~10 s after boot: read "before" once it can be collected.
  await sleep(12_000);
  const before = await server.memory();
  log(`Parley node ${server.url} (PostgreSQL${benchRedisUrl ? " + Redis" : ""}); ${int(CLIENTS)} clients x ${CYCLES} cycles; before the first client: heap + external ${mb(heapAndExternal(before))} MB, RSS ${mb(before.rss)} MB`);

  const rows: string[] = [];
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const sockets = await connectAll(server.url, tokens);
    const peak = await server.memory();
    for (const socket of sockets) socket.disconnect();
    await offlineSettled();
    const after = await server.memory();
    const kept = heapAndExternal(after) - heapAndExternal(before);
    rows.push(`| ${cycle} | ${mb(heapAndExternal(peak))} | ${mb(heapAndExternal(after))} | ${(kept / 1024 / 1024).toFixed(1)} | ${int(kept / (cycle * CLIENTS))} | ${mb(after.rss)} |`);
    log(`cycle ${cycle}: ${rows[rows.length - 1]}`);
  }
  console.log(
    [
      "",
      `Heap + external after a full GC (MB), ${int(CLIENTS)} clients connected then all gone, before the first client ${mb(heapAndExternal(before))} MB (RSS ${mb(before.rss)} MB):`,
      "",
      "| cycle | with every client connected | after all left | kept since before the first client | kept per departed client so far (bytes) | RSS after (MB) |",
      "|---|---|---|---|---|---|",
      ...rows,
      "",
    ].join("\n"),
  );
} finally {
  await server?.stop();
  await database.drop();
  if (benchRedisUrl) await deleteKeysUnder(redisPrefix);
}
process.exit(0);
