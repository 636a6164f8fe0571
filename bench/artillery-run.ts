// npm run bench:artillery: runs bench/artillery.yml, the scenario documented for
// external load testers, with Artillery itself against one Parley node, and
// checks what it did against the server and the database. It is how the
// scenario is known to work (it once sent an empty auth: every virtual user
// was refused, and nothing said so).
//
//   npm run bench:artillery                 the scenario's own phases (90 s of arrivals, ~2,300 virtual users)
//   npm run bench:artillery -- --quick      20 s at 5 arrivals/s (100 virtual users): a smoke run
//   options: --users 1000 (accounts with tokens), --rooms 10, --artillery <path to the artillery bin>
//
// PostgreSQL and Redis when BENCH_DATABASE_URL / BENCH_REDIS_URL (or TEST_*) are
// set (a throwaway database and key prefix, removed afterwards); embedded PGlite
// otherwise. Artillery is not a dependency (~590 MB): unless --artillery names
// one, it is installed once into .tmp/artillery-cli (ARTILLERY_VERSION), with
// PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 (its Playwright engine would otherwise
// download a browser at install, which fails offline).
//
// Fails (exit 1) when Artillery's own check fails (any virtual user failed),
// when the server's acks do not add up to what Artillery sent, when any ack
// was an error, or when the database does not hold exactly the acked messages.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { openMigratedDatabase, type DatabaseOptions } from "../server/store/db/database";
import { createThrowawayDatabase } from "../scripts/lib/throwaway-database";
import { createLoadUsers, toArtilleryCsv } from "./lib/load-users";
import { cpuWindow, type CpuWindow } from "./lib/proc";
import { buildEntries, parleyEnv, ROOT, startServer, type ServerProcess } from "./lib/processes";
import { histogramBuckets, seriesSum, windowQuantile } from "./lib/prom-text";
import { benchRedisUrl, deleteKeysUnder } from "./lib/redis";
import { newTag } from "./lib/seed";
import { benchDatabaseUrl } from "./lib/postgres";
import { ms } from "./lib/stats";

/** The Artillery release this script was verified with. */
const ARTILLERY_VERSION = "2.0.34";
const SCENARIO = path.join(ROOT, "bench", "artillery.yml");
const QUICK_PHASES = [{ name: "smoke", duration: 20, arrivalRate: 5 }];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    users: { type: "string", default: "1000" },
    rooms: { type: "string", default: "10" },
    artillery: { type: "string" },
  },
});

const tag = newTag();
const workDir = path.join(ROOT, ".tmp", "bench", `artillery-${tag}`);
const adminUrl = benchDatabaseUrl;
const log = (line: string) => console.log(`[artillery-run] ${line}`);

/** The artillery executable: --artillery, or a pinned install under .tmp/artillery-cli (made once). */
function artilleryBin(): string {
  if (values.artillery) return values.artillery;
  const prefix = path.join(ROOT, ".tmp", "artillery-cli");
  const bin = path.join(prefix, "node_modules", ".bin", "artillery");
  const installed = path.join(prefix, "node_modules", "artillery", "package.json");
  if (existsSync(bin) && JSON.parse(readFileSync(installed, "utf8")).version === ARTILLERY_VERSION) return bin;
  log(`installing artillery@${ARTILLERY_VERSION} into .tmp/artillery-cli (once; ~590 MB, a minute or two)`);
  mkdirSync(prefix, { recursive: true });
  const npm = spawnSync("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--no-save", `artillery@${ARTILLERY_VERSION}`], {
    stdio: "inherit",
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" },
  });
  if (npm.status !== 0 || !existsSync(bin)) throw new Error("could not install artillery (see npm's output above)");
  return bin;
}

/** The node's /metrics text (loopback needs no token). */
const scrape = (server: ServerProcess): Promise<string> => fetch(`${server.url}/metrics`).then((r) => r.text());

/** What the server answered between two scrapes. */
function serverSide(before: string, after: string) {
  const delta = (name: string, label: string) => seriesSum(after, name, label) - seriesSum(before, name, label);
  const acks = (event: string, code: string) => delta("parley_acks_total", `event="${event}",code="${code}"`);
  const allAcks = (event: string) => delta("parley_acks_total", `event="${event}"`);
  const sendBefore = histogramBuckets(before, "parley_command_duration_seconds", 'event="message:send"');
  const sendAfter = histogramBuckets(after, "parley_command_duration_seconds", 'event="message:send"');
  const statements = delta("parley_db_write_duration_seconds_count", 'result="ok"');
  return {
    sendsOk: acks("message:send", "ok"),
    syncsOk: acks("room:sync", "ok"),
    errorAcks: allAcks("message:send") + allAcks("room:sync") - acks("message:send", "ok") - acks("room:sync", "ok"),
    ackP50: windowQuantile(sendBefore, sendAfter, 0.5) * 1000,
    ackP99: windowQuantile(sendBefore, sendAfter, 0.99) * 1000,
    statements,
    messagesPerStatement: delta("parley_db_batch_size_sum", "") / Math.max(1, statements),
    msPerStatement: (delta("parley_db_write_duration_seconds_sum", 'result="ok"') / Math.max(1, statements)) * 1000,
  };
}

/** Artillery's JSON report (--output): counters and summaries over the run, and per period (10 s). */
interface ArtilleryMetrics {
  counters: Record<string, number>;
  summaries: Record<string, { p50?: number; median?: number; p95: number; p99: number; max: number }>;
  firstMetricAt?: number;
  lastMetricAt?: number;
}
interface ArtilleryReport {
  aggregate: ArtilleryMetrics;
  intermediate?: ArtilleryMetrics[];
}

/** The period in which Artillery sent the most: its send rate and response times. */
function busiestPeriod(report: ArtilleryReport) {
  let best: { perSecond: number; p50: number; p99: number } | undefined;
  for (const period of report.intermediate ?? []) {
    const seconds = ((period.lastMetricAt ?? 0) - (period.firstMetricAt ?? 0)) / 1000;
    const rt = period.summaries["socketio.response_time"];
    if (seconds < 5 || !rt) continue; // the short last period
    const perSecond = (period.counters["socketio.emit"] ?? 0) / seconds;
    if (!best || perSecond > best.perSecond) best = { perSecond, p50: rt.median ?? rt.p50 ?? Number.NaN, p99: rt.p99 };
  }
  return best;
}

/** Starts Artillery; its output goes to `logFile` once it exits. */
function startArtillery(bin: string, args: string[], logFile: string): { pid: number; exited: Promise<number> } {
  const child = spawn(bin, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const out: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => out.push(chunk));
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      writeFileSync(logFile, Buffer.concat(out));
      resolve(code ?? 1);
    });
  });
  return { pid: child.pid ?? 0, exited };
}

async function main(): Promise<number> {
  const bin = artilleryBin();
  mkdirSync(workDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(workDir, { recursive: true, force: true })];
  const authSecret = randomBytes(32).toString("base64url");
  const redisPrefix = `parley-bench-${tag}`;
  let server: ServerProcess | undefined;
  // Once, whoever asks first (the end of the run, or a signal); the other waits for it.
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await server?.stop();
      for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    })());
  // Ctrl-C: the node and Artillery get the signal too; the database, keys and
  // files are ours to remove. `on`, not `once`: under `npm run` the signal comes
  // twice (the terminal's, and tsx relaying it), and a second one with no
  // listener would end the process halfway through the clean-up.
  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      log(`${signal}: stopping the node, removing the database`);
      void cleanUp().then(() => process.exit(130));
    });
  }
  try {
    // The database, seeded before the node starts (PGlite: one process per data directory).
    const env: Record<string, string | undefined> = { ...parleyEnv(authSecret), SOCKET_TOKEN_TTL_SECONDS: "3600" };
    let dbOptions: DatabaseOptions;
    if (adminUrl) {
      const database = await createThrowawayDatabase(adminUrl, `parley_bench_${tag}`);
      cleanups.push(database.drop);
      env.DATABASE_URL = database.url;
      dbOptions = { kind: "postgres", url: database.url, poolSize: 2 };
    } else {
      env.DATA_DIR = path.join(workDir, "data");
      dbOptions = { kind: "pglite", dataDir: path.join(env.DATA_DIR, "pglite") };
    }
    if (benchRedisUrl) {
      env.REDIS_URL = benchRedisUrl;
      env.REDIS_PREFIX = redisPrefix;
      cleanups.push(() => deleteKeysUnder(redisPrefix));
    }
    const seeding = await openMigratedDatabase(dbOptions);
    const { users } = await createLoadUsers(seeding.prisma, {
      count: Number(values.users),
      rooms: Number(values.rooms),
      secret: authSecret,
      ttlSeconds: 3600,
      password: "bench password",
    }).finally(() => seeding.close());
    const roomIds = [...new Set(users.map((u) => u.roomId))];
    const csv = path.join(workDir, "tokens.csv");
    writeFileSync(csv, toArtilleryCsv(users));

    const entries = await buildEntries();
    server = await startServer({ label: "parley", entry: entries.parley, probe: entries.probe, env });
    log(`Parley node on ${server.url} (${adminUrl ? "PostgreSQL" : "embedded PGlite"}${benchRedisUrl ? " + Redis" : ""}), ${users.length} users in ${roomIds.length} rooms`);

    const reportFile = path.join(workDir, "report.json");
    const logFile = path.join(ROOT, "bench", "results", "raw", `artillery-${stamp()}.log`);
    mkdirSync(path.dirname(logFile), { recursive: true });
    const overrides = values.quick ? ["--overrides", JSON.stringify({ config: { phases: QUICK_PHASES } })] : [];
    const before = await scrape(server);
    log(`running ${path.relative(ROOT, SCENARIO)}${values.quick ? " (--quick: 20 s at 5 arrivals/s)" : ""}; Artillery's output -> ${path.relative(ROOT, logFile)}`);
    const started = performance.now();
    const artillery = startArtillery(bin, [
      "run",
      ["-t", server.url],
      // -p: this run's tokens instead of the scenario's config.payload.path (an
      // --overrides of config.payload would not replace it: Artillery has made
      // it an array by then). Artillery warns that it ignores that path.
      ["-p", csv],
      ["--output", reportFile],
      overrides,
      SCENARIO,
    ].flat(), logFile);
    const serverPid = server.pid;
    // CPU up to the last reading before Artillery exits (its /proc entry goes with it).
    const cpu = cpuWindow([serverPid, artillery.pid]);
    let used = cpu();
    const sampler = setInterval(() => {
      const reading = cpu();
      if (Number.isFinite(reading.byPid.get(artillery.pid))) used = reading;
    }, 1000);
    // And in windows of 10 s, to tell the busiest one: a run average hides the saturated middle of the scenario.
    const tenSeconds: CpuWindow[] = [];
    let tenSecondWindow = cpuWindow([serverPid, artillery.pid]);
    const windower = setInterval(() => {
      const reading = tenSecondWindow();
      if (Number.isFinite(reading.byPid.get(artillery.pid))) tenSeconds.push(reading);
      tenSecondWindow = cpuWindow([serverPid, artillery.pid]);
    }, 10_000);
    const code = await artillery.exited.finally(() => {
      clearInterval(sampler);
      clearInterval(windower);
    });
    const busiest = tenSeconds.reduce<CpuWindow | undefined>((top, w) => (!top || w.machine > top.machine ? w : top), undefined);
    const seconds = (performance.now() - started) / 1000;
    const after = await scrape(server);
    await server.stop();
    server = undefined;

    const report = JSON.parse(readFileSync(reportFile, "utf8")) as ArtilleryReport;
    const counters = report.aggregate.counters;
    const rt = report.aggregate.summaries["socketio.response_time"];
    const side = serverSide(before, after);
    const peak = busiestPeriod(report);
    // Every acked message is in the database, and nothing else is.
    const db = await openMigratedDatabase(dbOptions);
    const stored = await db.prisma.message.count({ where: { roomId: { in: roomIds } } }).finally(() => db.close());

    const emitted = counters["socketio.emit"] ?? 0;
    const failed = counters["vusers.failed"] ?? 0;
    const checks = [
      { what: "Artillery's check (vusers.failed == 0) passed", ok: code === 0 && failed === 0 },
      { what: "every emit was answered ok (message:send + room:sync acks = socketio.emit)", ok: side.sendsOk + side.syncsOk === emitted },
      { what: "no error acks", ok: side.errorAcks === 0 },
      { what: "the database holds exactly the acked messages", ok: stored === side.sendsOk },
    ];
    const n = (x: number) => Math.round(x).toLocaleString("en-US");
    const cpuOf = (w: CpuWindow | undefined, pid: number) => `${Math.round(w?.byPid.get(pid) ?? Number.NaN)}%`;
    const cpuRow = (w: CpuWindow | undefined) => `${cpuOf(w, serverPid)} / ${cpuOf(w, artillery.pid)} / ${Math.round(w?.machine ?? Number.NaN)}%`;
    const table = [
      `Artillery ${ARTILLERY_VERSION} (Socket.IO engine) against one Parley node (${adminUrl ? "PostgreSQL" : "PGlite"}${benchRedisUrl ? " + Redis" : ""}), ${values.quick ? "--quick" : "the scenario's phases"}, ${seconds.toFixed(0)} s`,
      "",
      "| | |",
      "|---|---|",
      `| virtual users created / completed / failed | ${n(counters["vusers.created"] ?? 0)} / ${n(counters["vusers.completed"] ?? 0)} / ${n(failed)} |`,
      `| emits (Artillery) / acked ok (server: message:send + room:sync) / error acks | ${n(emitted)} / ${n(side.sendsOk)} + ${n(side.syncsOk)} / ${n(side.errorAcks)} |`,
      `| messages in the database / acked | ${n(stored)} / ${n(side.sendsOk)} |`,
      `| Artillery's socketio.response_time p50 / p95 / p99 / max (ms) | ${rt ? `${ms(rt.median ?? rt.p50 ?? Number.NaN)} / ${ms(rt.p95)} / ${ms(rt.p99)} / ${ms(rt.max)}` : "n/a"} |`,
      `| Artillery's busiest period: emits/s, response_time p50 / p99 (ms) | ${peak ? `${n(peak.perSecond)}, ${ms(peak.p50)} / ${ms(peak.p99)}` : "n/a"} |`,
      `| server's message:send ack p50 / p99 (ms, /metrics buckets) | ${ms(side.ackP50)} / ${ms(side.ackP99)} |`,
      `| group commits: statements, messages each, ms each | ${n(side.statements)}, ${side.messagesPerStatement.toFixed(1)}, ${side.msPerStatement.toFixed(2)} |`,
      `| CPU: server / Artillery / machine (% of one core), whole run | ${cpuRow(used)} |`,
      `| the same in the busiest 10 s (of the machine) | ${cpuRow(busiest)} |`,
      "",
      ...checks.map((c) => `- ${c.ok ? "PASS" : "FAIL"}: ${c.what}`),
    ].join("\n");
    console.log(`\n${table}\n`);
    if (!values.quick) {
      const out = path.join(ROOT, "bench", "results", "artillery.md");
      writeFileSync(out, `# npm run bench:artillery (${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC)\n\n${table}\n`);
      log(`written ${path.relative(ROOT, out)}`);
    }
    const ok = checks.every((c) => c.ok);
    log(ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
  } catch (err) {
    // What an interrupted run fails on (its node is gone) is not news.
    if (interrupted) return 130;
    throw err;
  } finally {
    await cleanUp();
  }
}

const stamp = () => new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
