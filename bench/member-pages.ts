// What a `room:members` call costs in a big room, by page: the answer a tab
// waits for when it shows the room (and again after every reconnect), the bytes
// it carries, and the server CPU it takes. A node restart under a room of N
// viewers costs N of the first call.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres TEST_REDIS_URL=redis://127.0.0.1:6379 \
//     npx tsx bench/member-pages.ts [--members 10000] [--calls 20]
//
// A throwaway database and one Parley node (the bench's production bundle, with
// Redis when its URL is set), a room of `--members` members, one real
// Socket.IO client, the calls one after another.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { io, type Socket } from "socket.io-client";
import type { AckResult, RoomMember } from "../lib/contract";
import { MEMBERS_PAGE_MAX, MEMBERS_SCROLL_PAGE, ONLINE_COUNT_TTL_MS } from "../lib/contract";
import { COMMAND_RATE_LIMIT } from "../server/realtime/command";
import { createSocketTokens } from "../server/domain/socket-tokens";
import { openMigratedDatabase } from "../server/store/db/database";
import { createThrowawayDatabase } from "../scripts/lib/throwaway-database";
import { cpuSeconds } from "./lib/proc";
import { buildEntries, parleyEnv, startServer } from "./lib/processes";
import { benchRedisUrl, deleteKeysUnder } from "./lib/redis";
import { createRooms, createUsers, newTag } from "./lib/seed";
import { requireBenchDatabaseUrl } from "./lib/postgres";
import { ms, summarize } from "./lib/stats";

const { values } = parseArgs({
  options: {
    members: { type: "string", default: "10000" },
    calls: { type: "string", default: "20" },
  },
});
const MEMBERS = Number(values.members);
const CALLS = Number(values.calls);
const adminUrl = requireBenchDatabaseUrl("member-pages");

interface MembersPage {
  members: RoomMember[];
  next: string | null;
}

const tag = newTag();
const authSecret = randomBytes(32).toString("base64url");
const redisPrefix = `parley-bench-${tag}`;
const database = await createThrowawayDatabase(adminUrl, `parley_bench_${tag}`);
let socket: Socket | undefined;
let stopServer = async () => {};
try {
  const db = await openMigratedDatabase({ kind: "postgres", url: database.url, poolSize: 2 });
  const users = await createUsers(db.prisma, { count: MEMBERS, tag, prefix: "m", passwordHash: "-" });
  const roomId = `room-${tag}`;
  await createRooms(db.prisma, [{ id: roomId, name: roomId, createdById: users[0]!.id, members: users.map((u) => u.id) }]);
  await db.sql({ text: "VACUUM ANALYZE users, memberships", values: [] });
  await db.close();

  const entries = await buildEntries();
  const server = await startServer({
    label: "Parley",
    entry: entries.parley,
    probe: entries.probe,
    env: {
      ...parleyEnv(authSecret),
      DATABASE_URL: database.url,
      REDIS_URL: benchRedisUrl,
      REDIS_PREFIX: redisPrefix,
    },
  });
  stopServer = () => server.stop();
  const tokens = createSocketTokens({ secret: authSecret, ttlSeconds: 3_600 });
  const { token } = await tokens.issue({ id: users[0]!.id, name: users[0]!.name, role: "USER" });
  const client: Socket = io(server.url, { transports: ["websocket"], auth: { token }, reconnection: false });
  socket = client;
  await new Promise<void>((resolve, reject) => {
    client.once("connect", resolve);
    client.once("connect_error", reject);
  });

  // Paced under the per-socket command budget (COMMAND_RATE_LIMIT: 20 a second once its burst is spent).
  let lastAsk = 0;
  const command = async <T>(event: string, payload: object) => {
    await new Promise((r) => setTimeout(r, Math.max(0, lastAsk + 1000 / COMMAND_RATE_LIMIT.refillPerSecond + 5 - performance.now())));
    const started = (lastAsk = performance.now());
    return new Promise<{ data: T; bytes: number; ms: number }>((resolve, reject) => {
      client.timeout(30_000).emit(event, { roomId, ...payload }, (err: Error | null, result: AckResult<T>) => {
        if (err) reject(err);
        else if (!result.ok) reject(new Error(`${event}: ${result.error.code}: ${result.error.message}`));
        else resolve({ data: result.data, bytes: Buffer.byteLength(JSON.stringify(result.data)), ms: performance.now() - started });
      });
    });
  };
  const ask = async (payload: { limit: number; after?: string; search?: string }) => {
    const { data, bytes, ms } = await command<MembersPage>("room:members", payload);
    return { page: data, bytes, ms };
  };

  /** Times `call` CALLS times: round trips (the pacing between calls left out), bytes and server CPU per call. */
  const measure = async (what: string, call: () => Promise<{ bytes: number; calls: number; ms: number }>) => {
    await call(); // warm: plans, caches
    const times: number[] = [];
    let bytes = 0;
    let calls = 0;
    const cpuBefore = cpuSeconds(server.pid);
    for (let i = 0; i < CALLS; i++) {
      const done = await call();
      times.push(done.ms);
      bytes = done.bytes;
      calls = done.calls;
    }
    const cpuMs = ((cpuSeconds(server.pid) - cpuBefore) * 1000) / CALLS;
    const t = summarize(times);
    console.log(`| ${what} | ${calls} | ${ms(t.p50)} | ${ms(t.p95)} | ${ms(cpuMs)} | ${(bytes / 1024).toFixed(1)} |`);
  };

  /** Follows `next` from the start with pages of `limit`; the cursor of the page that starts after `skip` members. */
  const cursorAfter = async (skip: number, limit: number): Promise<string | undefined> => {
    let after: string | undefined;
    for (let seen = 0; seen < skip; seen += limit) after = (await ask({ limit, after })).page.next ?? undefined;
    return after;
  };
  const once = async (payload: { limit: number; after?: string; search?: string }) => ({ ...(await ask(payload)), calls: 1 });
  const allPages = async (limit: number) => {
    let after: string | undefined;
    const total = { bytes: 0, calls: 0, ms: 0 };
    do {
      const { page, bytes, ms } = await ask({ limit, after });
      total.bytes += bytes;
      total.calls += 1;
      total.ms += ms;
      after = page.next ?? undefined;
    } while (after);
    return total;
  };

  const lastScrollPage = await cursorAfter(MEMBERS - MEMBERS_SCROLL_PAGE, MEMBERS_SCROLL_PAGE);
  console.log(
    `room:members in a room of ${MEMBERS.toLocaleString("en-US")} members, one node, PostgreSQL${benchRedisUrl ? " and Redis" : ""}; ${CALLS} of each, one after another\n`,
  );
  console.log("| what | calls | p50 ms | p95 ms | server CPU ms | KB |");
  console.log("|---|---|---|---|---|---|");
  await measure(`first page of ${MEMBERS_SCROLL_PAGE} (a big room shown, or shown again after a reconnect)`, () => once({ limit: MEMBERS_SCROLL_PAGE }));
  await measure(`last page of ${MEMBERS_SCROLL_PAGE} (scrolled to the end)`, () => once({ limit: MEMBERS_SCROLL_PAGE, after: lastScrollPage }));
  // Names are m0 ... m<N-1>: "m12" is in m12, m120-m129, m1200-m1299, ... (111 of 10,000).
  await measure(`search "m12", first page of ${MEMBERS_SCROLL_PAGE}`, () => once({ limit: MEMBERS_SCROLL_PAGE, search: "m12" }));
  await measure(`first page of ${MEMBERS_PAGE_MAX.toLocaleString("en-US")} (the most one call returns)`, () => once({ limit: MEMBERS_PAGE_MAX }));
  await measure(`every member, pages of ${MEMBERS_PAGE_MAX.toLocaleString("en-US")}`, () => allPages(MEMBERS_PAGE_MAX));

  // room:online counts every member's status, at most every ONLINE_COUNT_TTL_MS per node: once counting, then cached.
  const cpuBefore = cpuSeconds(server.pid);
  const counting = await command<{ online: number }>("room:online", {});
  console.log(
    `| room:online, counting (once per ${ONLINE_COUNT_TTL_MS / 1000} s per node) | 1 | ${ms(counting.ms)} | | ${ms((cpuSeconds(server.pid) - cpuBefore) * 1000)} | ${(counting.bytes / 1024).toFixed(1)} |`,
  );
  await measure("room:online, counted (everyone else in those 10 s)", async () => ({ ...(await command("room:online", {})), calls: 1 }));
} finally {
  socket?.disconnect();
  await stopServer();
  await database.drop();
  if (benchRedisUrl) await deleteKeysUnder(redisPrefix);
}
