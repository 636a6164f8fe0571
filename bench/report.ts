// Renders a bench run (bench/lib/results.ts) as markdown tables and SVG plots,
// and writes them with the raw JSON. Also runnable on a raw JSON file:
//   npx tsx bench/report.ts bench/results/raw/<stamp>.json [--out dir]
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { lineChart, ratioChart, type LineSeries, type RatioBar } from "./plot";
import type { Cpu, RunResult, Series, StepResult } from "./lib/results";
import { heapAndExternal, int, kb, mb, ms, ratio, x } from "./lib/stats";

const COLORS: Record<Series["kind"], string> = { baseline: "#6b7280", parley: "#2563eb", "parley-2node": "#9333ea" };

/** server / load generator(s) / machine; with several load-generator processes, the busiest one in brackets (one can use one core at most). */
const cpu = (c: Cpu) =>
  `${c.server.toFixed(0)}% / ${c.loadgen.toFixed(0)}%${c.loadgenBusiest !== undefined && Math.abs(c.loadgenBusiest - c.loadgen) > 0.5 ? ` (${c.loadgenBusiest.toFixed(0)}%)` : ""} / ${c.machine.toFixed(0)}%`;
const cpuSeconds = (c: Cpu) => (c.server / 100) * c.seconds;
/** Server CPU spent per connection: the connect phase plus the settle after it (Parley's presence announcements). */
const cpuPerConnection = (s: StepResult) => ((cpuSeconds(s.connect.cpu) + cpuSeconds(s.settle.cpu)) * 1000) / Math.max(1, s.connectedNow);
const delivered = (received: number, expected: number) => (expected > 0 ? `${((received / expected) * 100).toFixed(1)}%` : "n/a");

export interface Target {
  name: string;
  parley: string;
  baseline: string;
  ratio: string;
  limit: string;
  met: boolean | undefined;
  bar?: RatioBar;
}

function stepAt(series: Series | undefined, clients: number): StepResult | undefined {
  return series?.steps.find((s) => s.clients === clients);
}

export function targets(run: RunResult): Target[] {
  const baseline = run.series.find((s) => s.kind === "baseline");
  const parley = run.series.find((s) => s.kind === "parley");
  const twoNode = run.series.find((s) => s.kind === "parley-2node");
  const steps = parley?.steps.map((s) => s.clients) ?? [];
  const largest = steps[steps.length - 1] ?? 0;
  const fanSteps = run.quick ? steps : steps.filter((n) => n === 1_000 || n === 5_000);
  const out: Target[] = [];

  const memP = stepAt(parley, largest)?.memory[0]?.rssPerConnection ?? Number.NaN;
  const memB = stepAt(baseline, largest)?.memory[0]?.rssPerConnection ?? Number.NaN;
  const memR = ratio(memP, memB);
  const accP = stepAt(parley, largest)?.memory[0]?.accountedPerConnection ?? Number.NaN;
  const accB = stepAt(baseline, largest)?.memory[0]?.accountedPerConnection ?? Number.NaN;
  out.push({
    name: `Memory per connection (RSS) at ${int(largest)} clients; in brackets V8 heap + external`,
    parley: `${kb(memP)} KB (${kb(accP)} KB)`,
    baseline: `${kb(memB)} KB (${kb(accB)} KB)`,
    ratio: `${x(memR)} (${x(ratio(accP, accB))})`,
    limit: "≤ 1.2x",
    // A negative or zero RSS delta means the reading is noise (the allocator gave back more than the clients took).
    met: Number.isFinite(memR) && memP > 0 && memB > 0 ? memR <= 1.2 : undefined,
    bar: { label: `memory/conn @${int(largest)}`, ratio: memR, limit: 1.2, better: "lower" },
  });
  for (const n of fanSteps) {
    const p = stepAt(parley, n)?.fanout.latency.p99 ?? Number.NaN;
    const b = stepAt(baseline, n)?.fanout.latency.p99 ?? Number.NaN;
    const r = ratio(p, b);
    out.push({
      name: `Fan-out receive p99 at ${int(n)} clients (10 rooms, 10 senders x ${run.setup.ratePerSender}/s)`,
      parley: `${ms(p)} ms`,
      baseline: `${ms(b)} ms`,
      ratio: x(r),
      limit: "≤ 1.5x",
      met: Number.isFinite(r) ? r <= 1.5 : undefined,
      bar: { label: `fan-out p99 @${int(n)}`, ratio: r, limit: 1.5, better: "lower" },
    });
  }
  for (const n of twoNode?.steps.map((s) => s.clients) ?? []) {
    if (!run.quick && n !== 1_000 && n !== 5_000) continue;
    const p = stepAt(twoNode, n)?.fanout.latency.p99 ?? Number.NaN;
    const b = stepAt(baseline, n)?.fanout.latency.p99 ?? Number.NaN;
    const r = ratio(p, b);
    out.push({
      name: `Fan-out receive p99 at ${int(n)} clients, 2 nodes over Redis (vs 1 bare node)`,
      parley: `${ms(p)} ms`,
      baseline: `${ms(b)} ms`,
      ratio: x(r),
      limit: "≤ 2x",
      met: Number.isFinite(r) ? r <= 2 : undefined,
      bar: { label: `2-node fan-out p99 @${int(n)}`, ratio: r, limit: 2, better: "lower" },
    });
  }
  if (!twoNode) {
    out.push({ name: "Fan-out p99, 2 nodes over Redis", parley: "not run", baseline: "", ratio: "n/a", limit: "≤ 2x", met: undefined });
  }
  const idle = run.series.find((s) => s.kind === "parley")?.steps.at(-1)?.clients;
  const writeRows = [
    ...(run.writePath?.throughput ?? []).map((tp, i) => ({ tp, i, where: idle ? `, ${int(idle)} other clients connected` : "" })),
    ...(run.writePathAlone?.throughput ?? []).map((tp, i) => ({ tp, i, where: ", a fresh node with only the senders" })),
  ];
  for (const { tp, i, where } of writeRows) {
    const relay = run.baselineWritePath?.throughput[i];
    const ok = tp.ackedPerSecond >= 3_000 * 0.99 && tp.ack.p99 < 50 && tp.unanswered === 0 && Object.keys(tp.ackErrors).length === 0;
    out.push({
      name: `Persisted messages/s per node at ${int(tp.offeredPerSecond)}/s offered, ack p99${where}`,
      parley: `${int(tp.ackedPerSecond)}/s, p99 ${ms(tp.ack.p99)} ms`,
      baseline: relay ? `relay, nothing stored: ${int(relay.ackedPerSecond)}/s, p99 ${ms(relay.ack.p99)} ms` : "(no persistence)",
      ratio: relay ? `p99 ${x(ratio(tp.ack.p99, relay.ack.p99))}` : "",
      limit: "≥ 3,000/s, p99 < 50 ms",
      met: ok,
    });
  }
  const replay = run.writePath?.replay;
  if (replay) {
    out.push({
      name: `Replay of ${int(replay.missed)} missed messages (reconnect + room:sync), worst of ${replay.reconnectAndReplay.count}`,
      parley: `${ms(replay.reconnectAndReplay.max)} ms (p50 ${ms(replay.reconnectAndReplay.p50)})`,
      baseline: "(no history)",
      ratio: "",
      limit: "≤ 300 ms",
      met: replay.complete && replay.reconnectAndReplay.max <= 300,
    });
  }
  for (const n of steps) {
    const p = stepAt(parley, n)?.connect.perSecond ?? Number.NaN;
    const b = stepAt(baseline, n)?.connect.perSecond ?? Number.NaN;
    const r = ratio(p, b);
    const prev = steps[steps.indexOf(n) - 1];
    out.push({
      name: `Connect rate, ${prev ? `${int(prev)} → ${int(n)}` : `0 → ${int(n)}`} clients (auth + rooms loaded)`,
      parley: `${int(p)}/s`,
      baseline: `${int(b)}/s`,
      ratio: x(r),
      limit: "≥ 0.7x",
      met: Number.isFinite(r) ? r >= 0.7 : undefined,
      bar: { label: `connect rate @${int(n)}`, ratio: r, limit: 0.7, better: "higher" },
    });
  }
  return out;
}

/** When the run started, in UTC: "2026-12-07", "22", "29" (startedAt is an ISO string). */
const startedUtc = (run: RunResult) => ({ day: run.startedAt.slice(0, 10), hh: run.startedAt.slice(11, 13), mm: run.startedAt.slice(14, 16) });

export function renderMarkdown(run: RunResult, plots: { memory: string; latency: string; ratios: string }): string {
  const lines: string[] = [];
  const started = startedUtc(run);
  const date = `${started.day} ${started.hh}:${started.mm} UTC`;
  const minutes = ((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 60_000).toFixed(1);
  const generators = run.setup.loadGenerators ?? 1;
  lines.push(`# Parley benchmark, ${date}${run.quick ? " (quick)" : ""}`);
  lines.push("");
  lines.push(
    `${run.machine.cores} cores, ${run.machine.memoryGiB} GiB, Node ${run.machine.node}; load average at start ${run.machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(" / ")}` +
      (run.machine.loopbackRoundTripMs
        ? `; loopback TCP round trip p50 ${run.machine.loopbackRoundTripMs.p50.toFixed(3)} ms, p99 ${run.machine.loopbackRoundTripMs.p99.toFixed(3)} ms (compare machines by it: every number below is sockets on loopback)`
        : "") +
      (run.machine.cpuWorkMs
        ? `; CPU check (fixed JavaScript work) ${run.machine.cpuWorkMs.start.toFixed(0)} ms at the start, ${run.machine.cpuWorkMs.end.toFixed(0)} ms at the end`
        : "") +
      ". " +
      `Parley: ${run.setup.server === "full" ? "the production build (dist/server.mjs, with Next)" : "the realtime node (server/realtime-only.ts, bundled)"}, ` +
      `${run.setup.database === "postgres" ? "PostgreSQL" : "embedded PGlite"}, ${run.setup.redis ? "Redis adapter and presence" : "in-memory adapter and presence"}. ` +
      (run.setup.nodeFlags?.length ? `Both servers ran with \`node ${run.setup.nodeFlags.join(" ")}\` (the production start's flags). ` : "") +
      `Load generator${generators > 1 ? ` (${generators} processes sharing the clients)` : " (one process)"}` +
      ` with ${run.setup.client === "lean" ? "the lean Socket.IO client (bench/lib/lean-client.ts)" : "socket.io-client 4.8"}, servers${run.setup.database === "postgres" ? ", PostgreSQL" : ""}${run.setup.redis ? " and Redis" : ""} share the machine. Run took ${minutes} min.`,
  );
  lines.push("");
  lines.push(
    "CPU columns are `server / load generator / whole machine`, in % of one core (the machine has " +
      `${run.machine.cores * 100}%)${generators > 1 ? "; with several load-generator processes, their sum, and the busiest one in brackets" : ""}: a load generator or machine near its ceiling means the row measures the machine, not the server. ` +
      "Numbers from a shared, busy machine are noisy: compare the ratios within one run, not absolute values across runs.",
  );
  lines.push("");
  for (const note of run.notes) lines.push(`> ${note}`, "");

  lines.push("## Targets", "");
  lines.push("| target | Parley | bare Socket.IO | ratio | limit | result |", "|---|---|---|---|---|---|");
  for (const t of targets(run)) {
    lines.push(`| ${t.name} | ${t.parley} | ${t.baseline} | ${t.ratio} | ${t.limit} | ${t.met === undefined ? "n/a" : t.met ? "**met**" : "**missed**"} |`);
  }
  lines.push("");
  lines.push(`![Parley / baseline ratios](${plots.ratios})`, "");

  lines.push("## Connections and memory", "");
  lines.push(
    "Clients connect in steps (the previous step's clients stay connected); `connect` is the time to open this step's clients, " +
      `${"at most"} a fixed number of handshakes in flight. Memory is read in the server after a full GC: ` +
      "(RSS − RSS before any client) / clients, and the same for the V8 heap. `GET /metrics`: one Prometheus scrape of the node with the step's clients connected (it runs on the event loop that serves them).",
    "",
  );
  lines.push(
    "| clients | server | connected now | connect (s) | conn/s | handshake p50 / p99 (ms) | failed | RSS (MB) | RSS / conn (KB) | heap / conn (KB) | heap + external / conn (KB) | presence packets while connecting | server CPU ms / conn | CPU srv / gen / machine | GET /metrics (ms) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const series of run.series) {
    for (const s of series.steps) {
      const mem = s.memory;
      const rss = mem.map((m) => mb(m.after.rss)).join(" + ");
      const perConn = mem.map((m) => kb(m.rssPerConnection)).join(" / ");
      const heap = mem.map((m) => kb(m.heapPerConnection)).join(" / ");
      const accounted = mem.map((m) => kb(m.accountedPerConnection ?? Number.NaN)).join(" / ");
      lines.push(
        `| ${int(s.clients)} | ${series.label} | ${int(s.connectedNow)} | ${s.connect.seconds.toFixed(2)} | ${int(s.connect.perSecond)} | ${ms(s.connect.latency.p50)} / ${ms(s.connect.latency.p99)} | ${s.connect.failed} | ${rss} | ${perConn} | ${heap} | ${accounted} | ${series.kind === "baseline" ? "n/a" : int(s.settle.presenceEvents)} | ${cpuPerConnection(s).toFixed(2)} | ${cpu(s.connect.cpu)} | ${s.scrapeMs ? s.scrapeMs.map(ms).join(" / ") : "n/a"} |`,
      );
    }
  }
  lines.push("");
  lines.push(...departedTable(run.series));
  lines.push(`![memory per connection](${plots.memory})`, "");

  lines.push("## Fan-out receive latency", "");
  lines.push(
    `From the sender's emit to each member's \`message:created\`, both in the load generator, on the machine's monotonic clock (one clock for every load-generator process). ${run.setup.fanoutSeconds} s measured after ${run.setup.warmupSeconds} s of warm-up, ` +
      "each scenario run more than once when the machine is shared: the table shows the run with the lowest p99 (the least disturbed), the last column every run's p99; " +
      `open-loop senders at ${run.setup.ratePerSender} msg/s each; bodies of ${run.setup.bodyLength} characters. Parley stores every message (and acks it) before it broadcasts; the baseline just relays. ` +
      "Event-loop delay: the worst lateness of a 5-ms timer during each run, in the server (the slowest node) and in the load generator (the slowest of its processes): a run whose p99 is close to one of them spent its tail in that process.",
    "",
  );
  lines.push(
    "| clients | scenario | server | msg/s | deliveries/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | delivered | ack p99 (ms) | p99 of every run (ms) | event-loop delay max of every run, server / load generator (ms) | server CPU µs / delivery | CPU srv / gen / machine |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  const rows: [number, string, string, StepResult["fanout"] | NonNullable<StepResult["bigRoom"]>][] = [];
  for (const series of run.series) {
    for (const s of series.steps) {
      rows.push([s.clients, `${s.fanout.rooms} rooms of ~${int(s.fanout.membersPerRoom)}, ${s.fanout.senders} senders`, series.label, s.fanout]);
      if (s.bigRoom) rows.push([s.clients, `1 room of ${int(s.bigRoom.members)}, ${s.bigRoom.senders} senders`, series.label, s.bigRoom]);
    }
  }
  rows.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
  for (const [clients, scenario, label, f] of rows) {
    lines.push(
      `| ${int(clients)} | ${scenario} | ${label} | ${int(f.offeredPerSecond)} | ${int(f.deliveriesPerSecond)} | ${ms(f.latency.p50)} | ${ms(f.latency.p95)} | ${ms(f.latency.p99)} | ${ms(f.latency.max)} | ${delivered(f.received, f.expected)} | ${ms(f.ack.p99)} | ${(f.attempts ?? [f.latency.p99]).map(ms).join(", ")} | ${(f.loops ?? []).map((l) => `${ms(l.serverMaxMs)} / ${ms(l.loadgenMaxMs)}`).join(", ") || "–"} | ${((cpuSeconds(f.cpu) * 1e6) / Math.max(1, f.receivedAll)).toFixed(0)} | ${cpu(f.cpu)} |`,
    );
  }
  lines.push("");
  lines.push(`![fan-out latency](${plots.latency})`, "");

  if (run.writePath) {
    const wp = run.writePath;
    lines.push("## Write path (Parley, one node)", "");
    lines.push(
      "Open-loop senders, each in a room whose other members are the other senders of that room; every message is committed " +
        "(room seq, insert, read marker, in one transaction per group-committed batch) before its ack. Persisted/s counts acks (= commits) during the measured window. " +
        "The Parley and relay rows run on the node of their series, whose last step's clients are still connected (idle, pinging every 20 s); the fresh-node row runs the same load on a new Parley node with only the senders connected. " +
        "The event-loop delay is how late the server ran a 5 ms timer during the phase (the same preloaded probe in both servers): an ack tail that matches it is a busy or blocked loop, not a slow database. " +
        "Full GCs: the server's mark-compact collections during the phase, and its main thread's time in garbage collection of every kind: beside 10,000 idle sockets (~125 MB of live heap) one full collection holds the acks for 100-200 ms, so a run's p99 depends on whether one landed in its window (docs/performance-log.md, twelfth VM). " +
        "The server-side p99s come from the node's own histograms over the window (interpolated within buckets, so approximate): `message:send` from receiving the packet to acking it, and one group-commit transaction.",
      "",
    );
    lines.push(
      "| server | offered msg/s | senders / rooms | persisted (acked) msg/s | ack p50 (ms) | ack p95 (ms) | ack p99 (ms) | ack max (ms) | errors | statements/s, mean batch, mean statement (ms) | server-side p99: ack / transaction (ms) | server event-loop delay p99 / max (ms) | full GCs, GC time (ms) | CPU srv / gen / machine |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    );
    const serverSide = (db: (typeof wp.throughput)[number]["db"]) =>
      db?.serverAckP99Ms === undefined || db.statementP99Ms === undefined ? "n/a" : `${ms(db.serverAckP99Ms)} / ${ms(db.statementP99Ms)}`;
    const rowsOf = (label: string, list: typeof wp.throughput) => list.map((tp) => ({ label, tp }));
    const rows = [
      ...rowsOf("Parley", wp.throughput),
      ...rowsOf("Parley, a fresh node with only the senders", run.writePathAlone?.throughput ?? []),
      ...rowsOf("bare Socket.IO (relay, nothing stored)", run.baselineWritePath?.throughput ?? []),
    ];
    for (const { label, tp } of rows) {
      const errors = Object.entries(tp.ackErrors).map(([k, v]) => `${k}: ${v}`).join(", ") || (tp.unanswered ? `${tp.unanswered} unanswered` : "0");
      lines.push(
        `| ${label} | ${int(tp.offeredPerSecond)} | ${tp.senders} / ${tp.rooms} | ${int(tp.ackedPerSecond)} | ${ms(tp.ack.p50)} | ${ms(tp.ack.p95)} | ${ms(tp.ack.p99)} | ${ms(tp.ack.max)} | ${errors} | ${tp.db ? `${int(tp.db.perSecond)}, ${tp.db.meanBatch.toFixed(1)}, ${ms(tp.db.meanStatementMs)}` : "n/a"} | ${serverSide(tp.db)} | ${tp.loop ? `${ms(tp.loop.p99Ms)} / ${ms(tp.loop.maxMs)}` : "–"} | ${tp.loop?.fullGcs === undefined ? "–" : `${tp.loop.fullGcs}, ${(tp.loop.gcMs ?? 0).toFixed(0)}`} | ${cpu(tp.cpu)} |`,
      );
    }
    lines.push("");
    const r = wp.replay;
    if (r) lines.push(
      `Replay: a client disconnects, ${int(r.missed)} messages are stored in its room, it reconnects and calls \`room:sync\` (pages of ${r.pageSize}) until \`hasMore\` is false.`,
      "",
    );
    if (r) lines.push("| missed | runs | reconnect + replay p50 / max (ms) | room:sync only p50 / max (ms) | pages per replay | every message, in order |", "|---|---|---|---|---|---|");
    if (r) lines.push(
      `| ${int(r.missed)} | ${r.reconnectAndReplay.count} | ${ms(r.reconnectAndReplay.p50)} / ${ms(r.reconnectAndReplay.max)} | ${ms(r.syncOnly.p50)} / ${ms(r.syncOnly.max)} | ${(r.pages / Math.max(1, r.reconnectAndReplay.count)).toFixed(0)} | ${r.complete ? "yes" : "**no**"} |`,
    );
    lines.push("");
  }

  const parley = run.series.find((s) => s.kind === "parley");
  if (parley?.steps.some((s) => s.presence)) {
    lines.push("## Presence", "");
    lines.push(
      "Presence packets (`presence:changed`, or `presence:batch` when the server coalesced several changes for one room) delivered to the other " +
        "connected clients when one more user (a member of one room) connects; and all presence packets, and the changes they carried, " +
        "that the load generator received while a step's clients connected (each new user is announced to its rooms).",
      "",
    );
    lines.push(
      "| clients | packets per join | connected members of the joiner's room | packets while connecting the step | changes in them | packets per new client |",
      "|---|---|---|---|---|---|",
    );
    for (const s of parley.steps) {
      if (!s.presence) continue;
      lines.push(
        `| ${int(s.clients)} | ${int(s.presence.perJoin.p50)} | ${int(s.presence.roomMembersConnected)} | ${int(s.settle.presenceEvents)} | ${s.settle.presenceChanges === undefined ? "n/a" : int(s.settle.presenceChanges)} | ${(s.settle.presenceEvents / Math.max(1, s.connectedNow)).toFixed(1)} |`,
      );
    }
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}

export function plotsFor(run: RunResult): { memory: string; latency: string; ratios: string } {
  const perConn = (st: StepResult, key: "rssPerConnection" | "accountedPerConnection") =>
    st.memory.reduce((n, m) => n + (m[key] ?? Number.NaN), 0) / st.memory.length / 1024;
  const memory: LineSeries[] = run.series.flatMap((s) => [
    { name: `${s.label}, RSS`, color: COLORS[s.kind], points: s.steps.map((st) => [st.clients, perConn(st, "rssPerConnection")] as [number, number]) },
    {
      name: `${s.label}, heap + external`,
      color: COLORS[s.kind],
      dashed: true,
      points: s.steps.map((st) => [st.clients, perConn(st, "accountedPerConnection")] as [number, number]),
    },
  ]);
  const latency: LineSeries[] = run.series.flatMap((s) => [
    { name: `${s.label} p99`, color: COLORS[s.kind], points: s.steps.map((st) => [st.clients, st.fanout.latency.p99] as [number, number]) },
    { name: `${s.label} p50`, color: COLORS[s.kind], dashed: true, points: s.steps.map((st) => [st.clients, st.fanout.latency.p50] as [number, number]) },
  ]);
  const bars = targets(run).flatMap((t) => (t.bar ? [t.bar] : []));
  return {
    memory: lineChart({ title: "Server memory per connection (delta / connected clients)", xLabel: "connected clients", yLabel: "KB per connection", series: memory }),
    latency: lineChart({
      title: `Fan-out receive latency (10 rooms, 10 senders x ${run.setup.ratePerSender} msg/s)`,
      xLabel: "connected clients",
      yLabel: "ms (log scale)",
      series: latency,
      logY: true,
    }),
    ratios: ratioChart({ title: "Parley vs bare Socket.IO, same run (ratio)", bars }),
  };
}

/** Writes <date>-<HHMM>.md (UTC start), latest.md, the SVGs (dated and latest-*) and the raw JSON. */
export function writeReport(run: RunResult, outDir: string): { markdown: string; files: string[] } {
  mkdirSync(path.join(outDir, "raw"), { recursive: true });
  const stamp = run.startedAt.replace(/[:.]/g, "-");
  // The start time is in the name so that a second run on the same day does not overwrite a published one.
  const started = startedUtc(run);
  const date = `${started.day}-${started.hh}${started.mm}`;
  const files: string[] = [];
  const rawFile = path.join(outDir, "raw", `${stamp}.json`);
  writeFileSync(rawFile, `${JSON.stringify(run, null, 2)}\n`);
  files.push(rawFile);
  const svgs = plotsFor(run);
  const names = { memory: `${date}-memory.svg`, latency: `${date}-latency.svg`, ratios: `${date}-ratios.svg` };
  for (const key of ["memory", "latency", "ratios"] as const) {
    const file = path.join(outDir, names[key]);
    writeFileSync(file, svgs[key]);
    copyFileSync(file, path.join(outDir, `latest-${key}.svg`));
    files.push(file);
  }
  const markdown = renderMarkdown(run, names);
  const mdFile = path.join(outDir, `${date}.md`);
  writeFileSync(mdFile, markdown);
  writeFileSync(
    path.join(outDir, "latest.md"),
    renderMarkdown(run, { memory: "latest-memory.svg", latency: "latest-latency.svg", ratios: "latest-ratios.svg" }),
  );
  files.push(mdFile, path.join(outDir, "latest.md"));
  return { markdown, files };
}

// Re-render a raw result: npx tsx bench/report.ts bench/results/raw/<stamp>.json [--out dir]
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { out: { type: "string" } } });
  const file = positionals[0];
  if (!file) {
    console.error("usage: tsx bench/report.ts <raw.json> [--out dir]");
    process.exit(1);
  }
  const run = JSON.parse(readFileSync(file, "utf8")) as RunResult;
  const { markdown } = writeReport(run, values.out ?? path.resolve(path.dirname(file), ".."));
  console.log(markdown);
}

/**
 * What each series' nodes kept once every client left: heap + external after a
 * full GC against the reading before the first client. A leak would show as
 * bytes kept per departed client; what is left over is what a node caches and
 * compiles while it runs (JIT code, prepared statements, pools).
 */
function departedTable(series: Series[]): string[] {
  const rows = series.filter((s) => s.departed && s.departed.clients > 0);
  if (rows.length === 0) return [];
  const lines = [
    "Once every client of a series left (Parley's announced offline), each node's memory after a full GC, against its reading before the first client: what a node keeps of connections that are gone. A leak shows as bytes kept per departed client.",
    "",
    "| server | clients that left | heap + external before the first client (MB) | at the largest step (MB) | after all left (MB) | kept per departed client (bytes) | RSS before / after (MB) |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const s of rows) {
    const { clients, before, after } = s.departed!;
    const peak = s.steps[s.steps.length - 1]?.memory.map((m) => m.after) ?? [];
    const sum = (ms: { heapUsed: number; external: number }[]) => ms.reduce((n, m) => n + heapAndExternal(m), 0);
    const kept = (sum(after) - sum(before)) / clients;
    lines.push(
      `| ${s.label} | ${int(clients)} | ${before.map((m) => mb(heapAndExternal(m))).join(" + ")} | ${peak.map((m) => mb(heapAndExternal(m))).join(" + ")} | ${after.map((m) => mb(heapAndExternal(m))).join(" + ")} | ${int(kept)} | ${before.map((m) => mb(m.rss)).join(" + ")} / ${after.map((m) => mb(m.rss)).join(" + ")} |`,
    );
  }
  lines.push("");
  return lines;
}
