// npm run bench: Parley against a bare Socket.IO server, same machine, same run,
// same load from a separate load-generator process. See README "Benchmark".
//   npm run bench                       1,000 / 5,000 / 10,000 clients (a few minutes)
//   npm run bench -- --quick            200 / 500 clients, short phases (CI; well under a minute)
//   npm run bench -- --clients 2000,4000 --seconds 5 --server full
// PostgreSQL and Redis when BENCH_DATABASE_URL / BENCH_REDIS_URL (or TEST_DATABASE_URL /
// TEST_REDIS_URL) are set (a throwaway database and key prefix, removed afterwards);
// embedded PGlite (in .tmp/bench/) otherwise. Writes bench/results/<date>-<HHMM>.md, latest.md
// and SVG plots (--quick: under bench/results/raw/), plus raw JSON in bench/results/raw/.
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import path from "node:path";
import { execSync } from "node:child_process";
import { parseArgs } from "node:util";
import { shouldWatchPresence } from "../lib/contract";
import { hashPassword } from "../server/domain/passwords";
import { presenceWindowMs } from "../server/realtime/presence.handlers";
import { openMigratedDatabase, type Database } from "../server/store/db/database";
import { freePort } from "../tests/support/ports";
import { cpuWindow } from "./lib/proc";
import { startLoadGenerators, type LoadGenerator } from "./lib/load-generators";
import { CLIENT_KINDS, type ClientKind } from "./lib/bench-socket";
import { PRODUCTION_NODE_FLAGS } from "../scripts/build-server";
import { buildEntries, parleyEnv, ROOT, startServer, type ServerProcess } from "./lib/processes";
import type { ClientSpec, FanoutResult, ProbeMemory, Sender, ServerKind } from "./lib/protocol";
import type { Cpu, FanoutRun, RunResult, Series, SeriesKind, StepResult, WritePathResult } from "./lib/results";
import { cpuWorkMs, loopbackRoundTrips } from "./lib/calibrate";
import { createThrowawayDatabase } from "../scripts/lib/throwaway-database";
import { benchRedisUrl, deleteKeysUnder, offlineQueueDrained } from "./lib/redis";
import { createRooms, createUsers, newTag } from "./lib/seed";
import { benchDatabaseUrl } from "./lib/postgres";
import { writeReport } from "./report";
import { histogramBuckets, seriesSum, windowQuantile } from "./lib/prom-text";
import { heapAndExternal, mb } from "./lib/stats";
import { runProblems } from "./lib/run-checks";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    clients: { type: "string" },
    rooms: { type: "string", default: "10" },
    rate: { type: "string", default: "5" },
    seconds: { type: "string" },
    warmup: { type: "string" },
    "big-room": { type: "string", default: "1000" },
    /** Room-mates each Parley client watches (`presence:watch`) in a room big enough to need it: a member panel's screenful. */
    watch: { type: "string", default: "20" },
    "tp-rate": { type: "string", default: "3000" },
    "tp-rooms": { type: "string", default: "10" },
    "tp-senders": { type: "string", default: "20" },
    "tp-seconds": { type: "string" },
    concurrency: { type: "string", default: "200" },
    /** Load-generator processes sharing the clients (one tops out at one core). */
    generators: { type: "string", default: "1" },
    /** The load generator's Socket.IO client: lean (default, bench/lib/lean-client.ts) or socket.io (socket.io-client 4.8, runs before the tenth VM). */
    client: { type: "string", default: "lean" },
    /** Fan-out runs per scenario; the one with the lowest p99 is reported (default 2, --quick 1). */
    repeat: { type: "string" },
    server: { type: "string", default: "realtime" },
    /** The two-node row (default: on for full runs when PostgreSQL and Redis are configured, off with --quick). */
    "two-node": { type: "boolean" },
    "no-two-node": { type: "boolean", default: false },
    "skip-baseline": { type: "boolean", default: false },
    "body-length": { type: "string", default: "64" },
    /** Extra environment for the Parley processes, e.g. --server-env LOG_LEVEL=info (repeatable). */
    "server-env": { type: "string", multiple: true },
    /** Extra Node/V8 flags for the Parley processes, e.g. --node-arg=--max-semi-space-size=64 (repeatable). */
    "node-arg": { type: "string", multiple: true },
    out: { type: "string" },
    /** Write a V8 CPU profile of every server process, Parley's and the baseline's, to bench/results/raw/profiles/ (see bench/profile-summary.ts). */
    "cpu-prof": { type: "boolean", default: false },
    /** Write a heap snapshot of every server after each step's memory reading, to bench/results/raw/heap/. */
    "heap-snapshot": { type: "boolean", default: false },
    /** Only these series (comma-separated: baseline, parley, parley-2node). */
    only: { type: "string" },
  },
});

const QUICK = values.quick === true;
const STEPS = (values.clients ?? (QUICK ? "200,500" : "1000,5000,10000")).split(",").map(Number).sort((a, b) => a - b);
const ROOMS = Number(values.rooms);
const RATE = Number(values.rate);
const FAN_SECONDS = Number(values.seconds ?? (QUICK ? 2 : 10));
const WARMUP = Number(values.warmup ?? (QUICK ? 0.5 : 2));
const BIG_ROOM = Math.min(Number(values["big-room"]), STEPS[STEPS.length - 1]!);
const WATCH = Number(values.watch);
const SENDERS_BIG = 10;
const TP_RATE = Number(values["tp-rate"]);
const TP_ROOMS = Number(values["tp-rooms"]);
const TP_SENDERS = Number(values["tp-senders"]);
const TP_SECONDS = Number(values["tp-seconds"] ?? (QUICK ? 3 : 10));
const CONCURRENCY = Number(values.concurrency);
const GENERATORS = Math.max(1, Number(values.generators));
const CLIENT = values.client as ClientKind;
if (!CLIENT_KINDS.includes(CLIENT)) throw new Error(`--client must be one of ${CLIENT_KINDS.join(", ")}`);
const SERVER = values.server === "full" ? "full" : "realtime";
const BODY_LENGTH = Number(values["body-length"]);
const REPLAY_MISSED = 1000;
const REPLAY_REPEATS = QUICK ? 2 : 5;
const PRESENCE_JOINERS = STEPS.length;
const REPEAT = Math.max(1, Number(values.repeat ?? (QUICK ? 1 : 2)));
const PROFILE_DIR = path.join(ROOT, "bench", "results", "raw", "profiles");
const HEAP_DIR = path.join(ROOT, "bench", "results", "raw", "heap");
const ONLY = values.only ? new Set(values.only.split(",")) : undefined;
const wants = (series: SeriesKind) => !ONLY || ONLY.has(series);
const EXTRA_ENV = Object.fromEntries((values["server-env"] ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));

const databaseUrl = benchDatabaseUrl;
const redisUrl = benchRedisUrl;
const TWO_NODE = (values["two-node"] ?? !QUICK) && !values["no-two-node"] && Boolean(databaseUrl && redisUrl);
/** Why the two-node row is not run, for the report. */
const twoNodeSkipReason = () =>
  !(databaseUrl && redisUrl)
    ? "needs BENCH_DATABASE_URL/TEST_DATABASE_URL and BENCH_REDIS_URL/TEST_REDIS_URL"
    : values["no-two-node"]
      ? "--no-two-node"
      : "--quick; add --two-node";

/** Every server process alive, so a signal can stop them all. */
const live = new Set<ServerProcess>();
const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- layout

interface Layout {
  clients: ClientSpec[];
  fanRooms: string[];
  bigRoom: string;
  joiners: ClientSpec[];
  tpClients: ClientSpec[];
  tpSenders: { spec: ClientSpec; roomId: string }[];
  replayClients: ClientSpec[];
  replayRoom: string;
}

async function seed(db: Database, tag: string): Promise<Layout> {
  const prisma = db.prisma;
  const passwordHash = await hashPassword("bench password, not secret");
  const maxClients = STEPS[STEPS.length - 1]!;
  const users = await createUsers(prisma, { count: maxClients, tag, prefix: "b", passwordHash });
  const joinerUsers = await createUsers(prisma, { count: PRESENCE_JOINERS, tag, prefix: "pj", passwordHash });
  const tpUsers = await createUsers(prisma, { count: TP_SENDERS, tag, prefix: "tp", passwordHash });
  const replayUsers = await createUsers(prisma, { count: 2, tag, prefix: "rp", passwordHash });
  const roomId = (name: string) => `r${tag}${name}`;
  const fanRooms = Array.from({ length: ROOMS }, (_, r) => roomId(`fan${r}`));
  const bigRoom = roomId("big");
  const tpRooms = Array.from({ length: TP_ROOMS }, (_, r) => roomId(`tp${r}`));
  const replayRoom = roomId("replay");
  const owner = users[0]!.id;
  await createRooms(prisma, [
    ...fanRooms.map((id, r) => ({
      id,
      name: `bench-${tag}-fan-${r}`,
      createdById: owner,
      members: [
        ...users.filter((_, i) => i % ROOMS === r).map((u) => u.id),
        ...(r === 0 ? joinerUsers.map((u) => u.id) : []),
      ],
    })),
    { id: bigRoom, name: `bench-${tag}-big`, createdById: owner, members: users.slice(0, BIG_ROOM).map((u) => u.id) },
    ...tpRooms.map((id, r) => ({
      id,
      name: `bench-${tag}-tp-${r}`,
      createdById: owner,
      members: tpUsers.filter((_, i) => i % TP_ROOMS === r).map((u) => u.id),
    })),
    { id: replayRoom, name: `bench-${tag}-replay`, createdById: owner, members: replayUsers.map((u) => u.id) },
  ]);
  // In a fan room big enough that presence is by watching (the browser's rule,
  // with the server's limit: pass --server-env PRESENCE_ROOM_WIDE_MAX_MEMBERS=N
  // to try another), each client watches WATCH room-mates, picked at random (a
  // seeded generator: the same picks in every run), as a member panel showing a
  // screenful of that room would. The joiners of room 0 can be picked, so the
  // per-join presence count means something.
  const random = seededRandom(0x5eed);
  const roomWideMax = EXTRA_ENV.PRESENCE_ROOM_WIDE_MAX_MEMBERS ? Number(EXTRA_ENV.PRESENCE_ROOM_WIDE_MAX_MEMBERS) : undefined;
  const fanMembers = fanRooms.map((_, r) => [
    ...users.filter((_, i) => i % ROOMS === r).map((u) => u.id),
    ...(r === 0 ? joinerUsers.map((u) => u.id) : []),
  ]);
  const watchFor = (roomIndex: number, self: string) => {
    const pool = fanMembers[roomIndex]!;
    if (!shouldWatchPresence(pool.length, roomWideMax)) return undefined;
    const picked = new Set<string>();
    for (let tries = 0; picked.size < Math.min(WATCH, pool.length - 1) && tries < WATCH * 10; tries++) {
      const id = pool[Math.floor(random() * pool.length)]!;
      if (id !== self) picked.add(id);
    }
    return picked.size > 0 ? { roomId: fanRooms[roomIndex]!, userIds: [...picked] } : undefined;
  };
  const clients = users.map((u, i) => ({
    userId: u.id,
    name: u.name,
    rooms: [fanRooms[i % ROOMS]!, ...(i < BIG_ROOM ? [bigRoom] : [])],
    watch: watchFor(i % ROOMS, u.id),
  }));
  const tpClients = tpUsers.map((u, i) => ({ userId: u.id, name: u.name, rooms: [tpRooms[i % TP_ROOMS]!] }));
  // As pgbench does before a run: statistics for the tables just bulk-loaded, which
  // autovacuum would gather soon after a load like this (where it is off, as on the
  // machine these numbers come from, the planner would guess their sizes). Not
  // `messages`: empty now, it is left as on a new deployment, which autovacuum
  // would not have touched either.
  await db.sql({ text: "VACUUM ANALYZE users, rooms, memberships", values: [] });
  return {
    clients,
    fanRooms,
    bigRoom,
    joiners: joinerUsers.map((u) => ({ userId: u.id, name: u.name, rooms: [fanRooms[0]!], watch: watchFor(0, u.id) })),
    tpClients,
    tpSenders: tpClients.map((spec) => ({ spec, roomId: spec.rooms[0]! })),
    replayClients: replayUsers.map((u) => ({ userId: u.id, name: u.name, rooms: [replayRoom] })),
    replayRoom,
  };
}

/** mulberry32: a small deterministic generator, for picks that are the same in every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- environment

interface Environment {
  kind: "postgres" | "pglite";
  /** For Parley processes. */
  serverEnv: Record<string, string | undefined>;
  layout: Layout;
  cleanup(): Promise<void>;
}

/** `notes`: what the report should say about the environment (appended to). */
async function prepare(tag: string, notes: string[]): Promise<Environment> {
  const authSecret = randomBytes(32).toString("base64url");
  const base: Record<string, string | undefined> = {
    ...parleyEnv(authSecret),
    // Long enough that no token expires mid-run (the expiry timer would close the socket).
    SOCKET_TOKEN_TTL_SECONDS: "86400",
    SHUTDOWN_GRACE_SECONDS: "20",
    // The limiter still runs on every send (its cost is part of the write path), but the
    // bench's senders (up to 150 msg/s each in the write-path phase) must not hit it.
    RATE_LIMIT_MESSAGES_PER_10S: "100000000",
  };
  const cleanups: (() => Promise<void>)[] = [];
  let layout: Layout;
  let kind: Environment["kind"];
  if (databaseUrl) {
    kind = "postgres";
    const database = await createThrowawayDatabase(databaseUrl, `parley_bench_${tag}`);
    base.DATABASE_URL = database.url;
    cleanups.push(database.drop);
    const db = await openMigratedDatabase({ kind: "postgres", url: database.url, poolSize: 4 });
    const [settings] = await db.sql<{ autovacuum: string }>({ text: "SHOW autovacuum", values: [] });
    if (settings?.autovacuum === "off") {
      notes.push(
        "Autovacuum is off on this PostgreSQL: the bench ran VACUUM ANALYZE on the seeded tables, but the row " +
          "versions the run's own updates leave behind are not reclaimed while it runs (with autovacuum on, they would be).",
      );
    }
    layout = await seed(db, tag);
    await db.close();
  } else {
    kind = "pglite";
    // One process per PGlite data directory: seed it here, close it, then hand it to the server.
    const dataDir = path.join(ROOT, ".tmp", "bench", `data-${tag}`);
    mkdirSync(dataDir, { recursive: true });
    base.DATA_DIR = dataDir;
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const db = await openMigratedDatabase({ kind: "pglite", dataDir: path.join(dataDir, "pglite") });
    layout = await seed(db, tag);
    await db.close();
  }
  if (redisUrl) {
    base.REDIS_URL = redisUrl;
    base.REDIS_PREFIX = `parley-bench-${tag}`;
    cleanups.push(() => deleteKeysUnder(`parley-bench-${tag}`));
  }
  return {
    kind,
    serverEnv: base,
    layout,
    async cleanup() {
      for (const c of cleanups.reverse()) await c().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    },
  };
}

// ---------------------------------------------------------------- phases

function cpuOf(servers: ServerProcess[], lg: LoadGenerator) {
  const end = cpuWindow([...servers.map((s) => s.pid), ...lg.pids]);
  return (): Cpu => {
    const w = end();
    const generators = lg.pids.map((pid) => w.byPid.get(pid) ?? Number.NaN);
    return {
      server: servers.reduce((n, s) => n + (w.byPid.get(s.pid) ?? Number.NaN), 0),
      loadgen: generators.reduce((n, g) => n + g, 0),
      loadgenBusiest: Math.max(...generators),
      machine: w.machine,
      seconds: w.seconds,
    };
  };
}

/**
 * Memory after a full GC, twice a second apart, keeping the lower RSS: right after
 * a burst the allocator may still hold pages it is about to give back, which would
 * make a "before" look bigger (or an "after" smaller) than it is.
 */
async function settledMemory(server: ServerProcess) {
  const first = await server.memory();
  if (QUICK) return first;
  await sleep(1_000);
  const second = await server.memory();
  return second.rss <= first.rss ? second : first;
}

/**
 * Waits for a connect step's presence to be delivered. Parley announces each new
 * connection to the user's rooms, coalesced per room in windows that grow with
 * the room (presenceWindowMs): a room's last batch can come a whole window after
 * the one before, so "quiet" means quiet for longer than the largest room's
 * window. (With a fixed 1 s, a 10,000-client step's last batches landed in the
 * first fan-out run: 10,000 presence packets inside it.)
 */
async function settle(lg: LoadGenerator, kind: ServerKind, largestRoom: number): Promise<{ seconds: number; presenceEvents: number; presenceChanges: number }> {
  const started = Date.now();
  const quietMs = kind === "parley" ? presenceWindowMs(largestRoom) + 500 : 1_000;
  await sleep(kind === "parley" ? 1_000 : 300);
  for (;;) {
    const c = await lg.request({ type: "counters", reset: false });
    if (c.lastEventAgoMs > quietMs || Date.now() - started > 180_000) break;
    await sleep(250);
  }
  const c = await lg.request({ type: "counters", reset: true });
  if (c.watchErrors > 0) log(`warning: ${c.watchErrors} presence:watch commands failed so far`);
  return { seconds: (Date.now() - started) / 1000, presenceEvents: c.presenceEvents, presenceChanges: c.presenceChanges };
}

async function runSeries(
  seriesKind: SeriesKind,
  env: Environment,
  entries: Awaited<ReturnType<typeof buildEntries>>,
  lg: LoadGenerator,
  steps: number[],
  options: { nodes: number; writePath: boolean; replay?: boolean },
): Promise<{ series: Series; writePath?: WritePathResult }> {
  const kind: ServerKind = seriesKind === "baseline" ? "baseline" : "parley";
  const label = seriesKind === "baseline" ? "bare Socket.IO" : seriesKind === "parley" ? "Parley" : "Parley, 2 nodes + Redis";
  const servers: ServerProcess[] = [];
  const { layout } = env;
  let bootedAt = Date.now();
  /**
   * Disconnects every client and lets Parley's nodes announce them offline, as
   * users who leave are: a node started next (the fresh-node row, the two-node
   * series) would otherwise inherit the offline grace queue and settle
   * thousands of users inside its measured windows. Resolves to how many left.
   */
  const everyoneLeaves = async () => {
    const { closed } = await lg.request({ type: "disconnect" });
    if (kind === "parley" && closed > 0) await waitForOfflineSettled(env, label, closed);
    return closed;
  };
  try {
    for (let n = 0; n < options.nodes; n++) {
      const fixedPort = SERVER === "full" && kind === "parley" ? await freePort() : undefined;
      servers.push(
        await startServer({
          label: `${label}${options.nodes > 1 ? ` #${n + 1}` : ""}`,
          entry: kind === "baseline" ? entries.baseline : SERVER === "full" ? path.join(ROOT, "dist/server.mjs") : entries.parley,
          probe: entries.probe,
          port: fixedPort,
          // Both servers run with the production start's Node flags, so a ratio compares code, not
          // runtime settings. --cpu-prof profiles both (a diff of the two says what Parley adds);
          // --node-arg is Parley's only.
          nodeArgs: [
            ...PRODUCTION_NODE_FLAGS,
            ...(kind === "parley" ? (values["node-arg"] ?? []) : []),
            ...(values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []),
          ],
          env:
            kind === "baseline"
              ? { ...process.env, PORT: "0", HOST: "127.0.0.1" }
              : { ...env.serverEnv, NODE_ID: `bench-${n + 1}`, ...(fixedPort ? { PORT: String(fixedPort) } : {}), ...EXTRA_ENV },
        }),
      );
    }
    for (const s of servers) live.add(s);
    bootedAt = Date.now();
    const urls = servers.map((s) => s.url);
    log(`${label}: ${servers.map((s) => `pid ${s.pid} at ${s.url}`).join(", ")}`);
    const target = (i: number) => (options.nodes > 1 ? i % options.nodes : 0);

    // Warm-up: a few connections and messages so JIT and pools are warm, then let it settle.
    const warm = layout.clients.slice(0, Math.min(50, steps[0] ?? 50)).map((c, i) => ({ ...c, target: target(i) }));
    await lg.request({ type: "connect", kind, urls, clients: warm, concurrency: 50 });
    await lg.request({ type: "disconnect" });
    // Past Parley's offline grace period, so the warm-up users' "offline" does not land in the first step.
    await sleep(kind === "parley" && !QUICK ? 4_500 : 500);
    await lg.request({ type: "counters", reset: true });
    // Parley's migration engine (WebAssembly) stays reachable for about 10 s after boot
    // (a timer it leaves behind): measure "before" once it can be collected, for both servers alike.
    // (Skipped by --quick: at a few hundred clients the memory columns are noise anyway.)
    if (!QUICK && steps.length > 0) await sleep(Math.max(0, bootedAt + 15_000 - Date.now()));
    const before = await Promise.all(servers.map(settledMemory));

    const result: StepResult[] = [];
    let connected = 0;
    /** Clients actually connected (a refused handshake is not a connection to count memory for). */
    let open = 0;
    for (const clients of steps) {
      const batch = layout.clients.slice(connected, clients).map((c, k) => ({ ...c, target: target(connected + k) }));
      log(`${label}: connecting ${batch.length} clients (to ${clients})`);
      const cpuConnect = cpuOf(servers, lg);
      const connect = await lg.request({ type: "connect", kind, urls, clients: batch, concurrency: CONCURRENCY });
      const connectCpu = cpuConnect();
      connected = clients;
      open += connect.connected;
      if (connect.failed > 0) log(`${label}: ${connect.failed} connections failed: ${connect.errors.join("; ")}`);
      const cpuSettle = cpuOf(servers, lg);
      const largestRoom = Math.max(Math.ceil(clients / ROOMS), Math.min(clients, BIG_ROOM));
      const settled = { ...(await settle(lg, kind, largestRoom)), cpu: cpuSettle() };
      const after = await Promise.all(servers.map(settledMemory));
      if (values["heap-snapshot"]) {
        mkdirSync(HEAP_DIR, { recursive: true });
        for (const s of servers) log(`${s.label} @${clients}: heap snapshot ${await s.heapSnapshot(HEAP_DIR)}`);
      }
      const memory = servers.map((_, n) => {
        const onNode = options.nodes > 1 ? Math.ceil(open / options.nodes) : open;
        return {
          before: before[n]!,
          after: after[n]!,
          rssPerConnection: (after[n]!.rss - before[n]!.rss) / onNode,
          heapPerConnection: (after[n]!.heapUsed - before[n]!.heapUsed) / onNode,
          // V8 heap plus memory outside it that V8 knows about (Buffers): independent of how the allocator keeps pages.
          accountedPerConnection: (heapAndExternal(after[n]!) - heapAndExternal(before[n]!)) / onNode,
        };
      });
      log(
        `${label} @${clients}: ${connect.perSecond.toFixed(0)} conn/s, ${(memory[0]!.rssPerConnection / 1024).toFixed(1)} KB/conn RSS, settle ${settled.seconds.toFixed(1)} s (${settled.presenceEvents} presence packets, ${settled.presenceChanges} changes)`,
      );

      // Fan-out: 10 rooms, one sender each (a member of that room), RATE msg/s each.
      const fanSenders: Sender[] = layout.fanRooms.map((roomId, r) => ({ client: r, roomId }));
      const fan = await fanoutBestOf(servers, lg, fanSenders);
      const fanout = { ...fan, rooms: ROOMS, senders: fanSenders.length, membersPerRoom: Math.round(clients / ROOMS) };
      log(`${label} @${clients}: fan-out p50 ${fan.latency.p50.toFixed(1)} p99 ${fan.latency.p99.toFixed(1)} ms, ${fan.received}/${fan.expected} delivered`);

      let bigRoom: StepResult["bigRoom"];
      if (clients >= BIG_ROOM && options.nodes === 1) {
        const senders: Sender[] = Array.from({ length: SENDERS_BIG }, (_, i) => ({ client: i, roomId: layout.bigRoom }));
        const big = await fanoutBestOf(servers, lg, senders);
        bigRoom = { ...big, members: BIG_ROOM, senders: SENDERS_BIG };
        log(`${label} @${clients}: ${BIG_ROOM}-member room p50 ${big.latency.p50.toFixed(1)} p99 ${big.latency.p99.toFixed(1)} ms`);
      }

      let presence: StepResult["presence"];
      if (kind === "parley" && options.nodes === 1) {
        await lg.request({ type: "counters", reset: true });
        presence = await lg.request({
          type: "presence",
          kind,
          urls,
          joiners: layout.joiners.slice(result.length, result.length + 1),
          windowMs: 1_500,
        });
      }
      const scrapeMs = kind === "parley" ? await Promise.all(servers.map(scrapeTime)) : undefined;
      result.push({ clients, connectedNow: batch.length, connect: { ...connect, cpu: connectCpu }, settle: settled, memory, fanout, bigRoom, presence, scrapeMs });
    }

    let writePath: WritePathResult | undefined;
    if (options.writePath) writePath = await runWritePath(kind, layout, lg, servers, urls, options.replay ?? true);

    // Everyone leaves: what the nodes keep of connections that are gone (a leak shows here, per departed client).
    const left = await everyoneLeaves();
    const departed = { clients: left, before, after: await Promise.all(servers.map(settledMemory)) };
    const inMb = (ms: ProbeMemory[], of: (m: ProbeMemory) => number) => ms.map((m) => mb(of(m))).join(" / ");
    log(
      `${label}: after ${left} clients left, heap + external ${inMb(departed.after, heapAndExternal)} MB, RSS ${inMb(departed.after, (m) => m.rss)} MB ` +
        `(before the first client ${inMb(before, heapAndExternal)} MB, RSS ${inMb(before, (m) => m.rss)} MB)`,
    );
    return { series: { kind: seriesKind, label, steps: result, departed }, writePath };
  } finally {
    // After an error, the clients still have to leave before the nodes stop (nothing to do when they already left).
    await everyoneLeaves().catch(() => undefined);
    await Promise.all(servers.map((s) => s.stop()));
    for (const s of servers) live.delete(s);
  }
}

/**
 * Waits until Parley's offline grace queue (Redis, shared by the nodes) is
 * empty, i.e. every user whose connections closed was announced offline and
 * had their "last seen" stored, and says how long that took. Without Redis the
 * queue lives in the node and goes with it.
 */
async function waitForOfflineSettled(env: Environment, label: string, users: number): Promise<void> {
  const prefix = env.serverEnv.REDIS_PREFIX;
  if (!redisUrl || !prefix) return;
  const seconds = await offlineQueueDrained(prefix);
  log(`${label}: ${users} clients disconnected; offline grace queue empty after ${seconds.toFixed(1)} s`);
}

/**
 * A fan-out measurement, REPEAT times, keeping the run with the lowest p99: the
 * machine is shared, and the best of a few runs is the one least disturbed by
 * other processes (the same rule for both servers). `attempts` records how many.
 */
async function fanoutBestOf(servers: ServerProcess[], lg: LoadGenerator, senders: Sender[]) {
  let best: (FanoutResult & FanoutRun) | undefined;
  const attempts: number[] = [];
  const loops: NonNullable<FanoutRun["loops"]> = [];
  for (let i = 0; i < REPEAT; i++) {
    const cpu = cpuOf(servers, lg);
    await Promise.all(servers.map((s) => s.loopDelay())); // starts the window
    const run = await lg.request({ type: "fanout", senders, ratePerSender: RATE, warmupSeconds: WARMUP, seconds: FAN_SECONDS, bodyLength: BODY_LENGTH });
    const used = cpu();
    const serverLoops = await Promise.all(servers.map((s) => s.loopDelay()));
    loops.push({ serverMaxMs: Math.max(...serverLoops.map((l) => l.maxMs)), loadgenMaxMs: run.loadgenLoop.maxMs });
    if (run.presencePackets > 0) log(`fan-out run ${i + 1}: ${run.presencePackets} presence packets arrived during it`);
    const measured = { ...run, cpu: used, attempts, loops };
    attempts.push(run.latency.p99);
    if (!best || run.latency.p99 < best.latency.p99) best = measured;
  }
  return best!;
}

/** How long one Prometheus scrape of the server takes (median of 3): a scrape runs on the event loop every node serves its clients from. */
async function scrapeTime(server: ServerProcess): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await fetch(`${server.url}/metrics`).then((r) => r.text());
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[1]!;
}

/** Group-commit totals and the server-side latency histograms from the node's /metrics (loopback is allowed without a token); empty if unavailable. */
async function dbMetrics(server: ServerProcess) {
  const text = await fetch(`${server.url}/metrics`).then((r) => (r.ok ? r.text() : ""), () => "");
  const sum = (name: string) => seriesSum(text, name);
  return {
    count: sum("parley_db_write_duration_seconds_count"),
    seconds: sum("parley_db_write_duration_seconds_sum"),
    batchSum: sum("parley_db_batch_size_sum"),
    sendBuckets: histogramBuckets(text, "parley_command_duration_seconds", 'event="message:send"'),
    writeBuckets: histogramBuckets(text, "parley_db_write_duration_seconds", 'result="ok"'),
  };
}

async function runWritePath(
  kind: ServerKind,
  layout: Layout,
  lg: LoadGenerator,
  servers: ServerProcess[],
  urls: string[],
  withReplay: boolean,
): Promise<WritePathResult> {
  // Senders in their own rooms (members: the senders only), so this measures the write path, not fan-out.
  // The baseline runs the same load as a reference (a relay: no database, no history, so no replay).
  const extraClients = [...layout.tpClients, ...(kind === "parley" && withReplay ? layout.replayClients : [])];
  const { firstIndex: offset, failed } = await lg.request({ type: "connect", kind, urls, clients: extraClients, concurrency: 50 });
  if (failed > 0) throw new Error(`${failed} write-path clients could not connect`);
  const senders: Sender[] = layout.tpSenders.map((s, i) => ({ client: offset + i, roomId: s.roomId }));
  const throughput: WritePathResult["throughput"] = [];
  const rates = [TP_RATE];
  for (const rate of rates) {
    log(`${kind}: write path, ${rate} msg/s offered for ${TP_SECONDS} s over ${senders.length} senders in ${TP_ROOMS} rooms`);
    const load = { type: "throughput", senders, ratePerSender: rate / senders.length, bodyLength: BODY_LENGTH } as const;
    // Warm-up as a run of its own, so the server-side readings below cover the measured window only.
    await lg.request({ ...load, warmupSeconds: 0, seconds: QUICK ? 1 : 2 });
    const cpu = cpuOf(servers, lg);
    const dbBefore = kind === "parley" ? await dbMetrics(servers[0]!) : undefined;
    await servers[0]!.loopDelay(); // starts the window
    const tp = await lg.request({ ...load, warmupSeconds: 0, seconds: TP_SECONDS });
    const used = cpu();
    const loop = await servers[0]!.loopDelay();
    const dbAfter = dbBefore ? await dbMetrics(servers[0]!) : undefined;
    const statements = dbAfter && dbBefore ? dbAfter.count - dbBefore.count : 0;
    const db =
      dbAfter && dbBefore
        ? {
            statements,
            perSecond: statements / used.seconds,
            meanBatch: (dbAfter.batchSum - dbBefore.batchSum) / Math.max(1, statements),
            meanStatementMs: ((dbAfter.seconds - dbBefore.seconds) * 1000) / Math.max(1, statements),
            // Where the client's ack tail is spent: inside the server (receive to ack), and in the transaction.
            serverAckP99Ms: windowQuantile(dbBefore.sendBuckets, dbAfter.sendBuckets, 0.99) * 1000,
            statementP99Ms: windowQuantile(dbBefore.writeBuckets, dbAfter.writeBuckets, 0.99) * 1000,
          }
        : undefined;
    throughput.push({ ...tp, cpu: used, rooms: TP_ROOMS, senders: senders.length, db, loop });
    log(`${kind}: ${tp.ackedPerSecond.toFixed(0)} msg/s acked, ack p50 ${tp.ack.p50.toFixed(1)} p99 ${tp.ack.p99.toFixed(1)} ms`);
  }
  if (kind !== "parley" || !withReplay) return { throughput };
  log(`Parley: replay of ${REPLAY_MISSED} missed messages, ${REPLAY_REPEATS} times`);
  const writer = offset + layout.tpClients.length;
  const replay = await lg.request({
    type: "replay",
    writer,
    reader: writer + 1,
    roomId: layout.replayRoom,
    missed: REPLAY_MISSED,
    repeats: REPLAY_REPEATS,
    pageSize: 500,
  });
  log(`Parley: replay p50 ${replay.reconnectAndReplay.p50.toFixed(0)} ms, max ${replay.reconnectAndReplay.max.toFixed(0)} ms (complete: ${replay.complete})`);
  return { throughput, replay: { ...replay, missed: REPLAY_MISSED, pageSize: 500 } };
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const startedAt = new Date();
  const loadAverageAtStart = loadavg();
  // Before any server starts, so it measures the machine, not the bench.
  const loopback = await loopbackRoundTrips();
  const cpuAtStart = cpuWorkMs();
  log(`loopback TCP round trip: p50 ${loopback.p50.toFixed(3)} ms, p99 ${loopback.p99.toFixed(3)} ms; CPU check ${cpuAtStart.toFixed(0)} ms`);
  const tag = newTag();
  const notes: string[] = [];
  const openFiles = (() => {
    try {
      return execSync("sh -c 'ulimit -n'").toString().trim();
    } catch {
      return "?";
    }
  })();
  if (Number(openFiles) < STEPS[STEPS.length - 1]! + 500) {
    notes.push(`The open-files limit (${openFiles}) is close to the largest client count; raise it (ulimit -n) for bigger runs.`);
  }
  log(`steps ${STEPS.join(", ")}; database ${databaseUrl ? "PostgreSQL" : "PGlite"}; Redis ${redisUrl ? "yes" : "no"}; server ${SERVER}`);
  const entries = await buildEntries();
  const env = await prepare(tag, notes);
  log(`seeded ${env.layout.clients.length} users, ${env.layout.fanRooms.length} fan-out rooms, a ${BIG_ROOM}-member room`);
  const lg = startLoadGenerators(entries.loadGenerator, { ...process.env, BENCH_AUTH_SECRET: env.serverEnv.AUTH_SECRET, BENCH_CLIENT: CLIENT }, GENERATORS);
  const series: Series[] = [];
  let writePath: WritePathResult | undefined;
  let baselineWritePath: WritePathResult | undefined;
  let writePathAlone: WritePathResult | undefined;
  const stopAll = async () => {
    await Promise.all([...live].map((s) => s.stop()));
    await lg.stop();
    await env.cleanup();
  };
  // `on`, not `once`: under `npm run` a Ctrl-C arrives twice (the terminal's, and
  // tsx relaying it), and a second one with no listener would end the process
  // halfway through stopping the servers and removing the database.
  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      log(`${signal}: stopping the servers and the load generator, removing the database`);
      void stopAll().then(() => process.exit(130));
    });
  }
  try {
    if (!values["skip-baseline"] && wants("baseline")) {
      const baseline = await runSeries("baseline", env, entries, lg, STEPS, { nodes: 1, writePath: true });
      series.push(baseline.series);
      baselineWritePath = baseline.writePath;
    }
    if (wants("parley")) {
      const parley = await runSeries("parley", env, entries, lg, STEPS, { nodes: 1, writePath: true });
      series.push(parley.series);
      writePath = parley.writePath;
      // The same write load on a fresh node, with only the senders connected: the
      // row above carries the last step's idle clients too (their heap, pings and GC).
      log("Parley: write path on a fresh node with no other clients");
      writePathAlone = (await runSeries("parley", env, entries, lg, [], { nodes: 1, writePath: true, replay: false })).writePath;
    }
    if (TWO_NODE && wants("parley-2node")) {
      const twoNodeSteps = STEPS.filter((n) => n <= 5_000);
      if (twoNodeSteps.length > 0) {
        series.push((await runSeries("parley-2node", env, entries, lg, twoNodeSteps, { nodes: 2, writePath: false })).series);
      }
    } else if (wants("parley-2node")) {
      notes.push(`Two nodes over Redis: not run (${twoNodeSkipReason()}).`);
    }
  } finally {
    await stopAll();
  }
  // After every server and the load generator stopped: the machine again, as at the start.
  const cpuAtEnd = cpuWorkMs();
  log(`CPU check ${cpuAtEnd.toFixed(0)} ms (${cpuAtStart.toFixed(0)} ms at the start)`);
  if (cpuAtEnd > cpuAtStart * 1.25 || cpuAtEnd < cpuAtStart / 1.25) {
    notes.push(
      `The machine changed during the run: the same CPU work took ${cpuAtStart.toFixed(0)} ms at the start and ` +
        `${cpuAtEnd.toFixed(0)} ms at the end. Rows measured at different times are not comparable; run again.`,
    );
  }
  const result: RunResult = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: QUICK,
    machine: {
      cores: cpus().length,
      loadAverageAtStart,
      loopbackRoundTripMs: loopback,
      cpuWorkMs: { start: cpuAtStart, end: cpuAtEnd },
      node: process.version,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
    },
    setup: {
      server: SERVER,
      database: env.kind,
      redis: Boolean(redisUrl),
      openFilesLimit: openFiles,
      fanoutSeconds: FAN_SECONDS,
      warmupSeconds: WARMUP,
      ratePerSender: RATE,
      bodyLength: BODY_LENGTH,
      loadGenerators: GENERATORS,
      client: CLIENT,
      nodeFlags: PRODUCTION_NODE_FLAGS,
    },
    series,
    writePath,
    writePathAlone,
    baselineWritePath,
    notes,
  };
  const outDir = values.out ? path.resolve(values.out) : path.join(ROOT, "bench", "results", ...(QUICK ? ["raw", "quick"] : []));
  const written = writeReport(result, outDir);
  console.log(`\n${written.markdown}`);
  log(`wrote ${written.files.map((f) => path.relative(ROOT, f)).join(", ")}`);
  // Timings are reported, never checked; the promises are (see run-checks.ts).
  const problems = runProblems(result);
  for (const problem of problems) log(`FAILED: ${problem}`);
  log(problems.length === 0 ? "every client connected, every message delivered and acked, every replay complete" : `${problems.length} broken promise(s)`);
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
