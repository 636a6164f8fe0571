// A load-generator process: started by bench/run.ts (through the pool in
// bench/lib/load-generators.ts, one or more processes, each with an IPC
// channel), it holds its share of the simulated clients and runs the measured
// phases on command. Every process runs a phase's whole schedule from the same
// start; a receive latency is the receiver's clock minus the emit time the
// sender wrote into the body, both on the machine's monotonic clock, which every
// process on it shares. Clients speak Socket.IO over WebSocket only, with no
// reconnection: by default through the lean client (bench/lib/lean-client.ts),
// with BENCH_CLIENT=socket.io through socket.io-client 4.8 (bench/lib/bench-socket.ts).
//   Parley:   auth { token }, minted here from AUTH_SECRET (BENCH_AUTH_SECRET)
//             with server/domain/socket-tokens.ts, exactly as /api/token would.
//   baseline: auth { rooms, userId, name } (a bare server trusts it).
import { randomUUID } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { AckResult, ChatMessage, Page, PresenceBatch } from "../lib/contract";
import { createSocketTokens } from "../server/domain/socket-tokens";
import {
  monotonicMs,
  type ClientSpec,
  type ConnectPart,
  type CountersResult,
  type Envelope,
  type FanoutPart,
  type GeneratorRequest,
  type GeneratorResultOf,
  type PlacedSender,
  type ReplayRequest,
  type ReplayResult,
  type Reply,
  type Schedule,
  type ServerKind,
  type ThroughputPart,
} from "./lib/protocol";
import { Samples, summarize } from "./lib/stats";
import { CLIENT_KINDS, createBenchSocket, type BenchSocket, type ClientKind } from "./lib/bench-socket";

const clientKind = (process.env.BENCH_CLIENT ?? "lean") as ClientKind;
if (!CLIENT_KINDS.includes(clientKind)) throw new Error(`BENCH_CLIENT must be one of ${CLIENT_KINDS.join(", ")}`);
const CONNECT_TIMEOUT_MS = 180_000;

interface Client {
  spec: ClientSpec;
  socket: BenchSocket;
}

const now = monotonicMs;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const authSecret = process.env.BENCH_AUTH_SECRET ?? "";
const tokens = createSocketTokens({ secret: authSecret || "unused-unused-unused-unused-unused-0", ttlSeconds: 86_400 });

/** Every client connected by `connect`, in order: senders are named by index. */
let clients: Client[] = [];
/** Extra sockets (presence joiners), closed with the rest. */
let extras: BenchSocket[] = [];

// Event counters, for "has the connect storm settled?" and presence per join.
/** Presence packets received (`presence:changed`, or `presence:batch` carrying several changes). */
let presenceEvents = 0;
/** Presence changes inside those packets. */
let presenceChanges = 0;
let otherEvents = 0;
let lastEventAt = now();

/** The fan-out phase being measured, if any: receivers record into it. */
let activePhase: { id: number; latency: Samples; received: number; all: number } | undefined;

function onMessageCreated(message: ChatMessage): void {
  lastEventAt = now();
  const phase = activePhase;
  const body = message.body;
  // Bench bodies: "B|<phase>|<sent at, ms>|padding"; warm-up sends carry phase 0.
  if (!phase || body.charCodeAt(0) !== 66) return;
  phase.all += 1;
  const a = body.indexOf("|", 2);
  const b = body.indexOf("|", a + 1);
  if (Number(body.slice(2, a)) !== phase.id) return;
  const sentAt = Number(body.slice(a + 1, b));
  phase.received += 1;
  phase.latency.add(now() - sentAt);
}

function socketFor(kind: ServerKind, url: string, spec: ClientSpec, token: string | undefined): BenchSocket {
  return createBenchSocket(clientKind, url, kind === "parley" ? { token } : { rooms: spec.rooms, userId: spec.userId, name: spec.name });
}

const waitConnected = (socket: BenchSocket) => socket.connect(CONNECT_TIMEOUT_MS);

async function mint(kind: ServerKind, specs: ClientSpec[]): Promise<(string | undefined)[]> {
  if (kind !== "parley") return specs.map(() => undefined);
  if (!authSecret) throw new Error("BENCH_AUTH_SECRET is not set");
  return Promise.all(specs.map(async (s) => (await tokens.issue({ id: s.userId, name: s.name, role: "USER" })).token));
}

async function connect(req: GeneratorRequest & { type: "connect" }): Promise<ConnectPart> {
  const mintStarted = now();
  const minted = await mint(req.kind, req.clients);
  const tokenSeconds = (now() - mintStarted) / 1000;
  const latency = new Samples();
  const errors: Record<string, number> = {};
  let connected = 0;
  let failed = 0;
  const sockets = req.clients.map((spec, i) => {
    const socket = socketFor(req.kind, req.urls[spec.target ?? 0] ?? req.urls[0]!, spec, minted[i]);
    socket.on("message:created", onMessageCreated);
    socket.on("presence:changed", () => {
      presenceEvents += 1;
      presenceChanges += 1;
      lastEventAt = now();
    });
    socket.on("presence:batch", ({ online, away, offline }: PresenceBatch) => {
      presenceEvents += 1;
      presenceChanges += online.length + away.length + Object.keys(offline).length;
      lastEventAt = now();
    });
    clients.push({ spec, socket });
    return socket;
  });
  const startedAt = now();
  let next = 0;
  const worker = async () => {
    while (next < req.clients.length) {
      const i = next++;
      const socket = sockets[i]!;
      const t0 = now();
      try {
        await waitConnected(socket);
        latency.add(now() - t0);
        connected += 1;
        watchOnce(req.kind, socket, req.clients[i]!);
      } catch (err) {
        failed += 1;
        const key = err instanceof Error ? err.message : String(err);
        errors[key] = (errors[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, req.concurrency) }, worker));
  return { connected, failed, errors, latency: latency.values(), startedAt, endedAt: now(), tokenSeconds };
}

/** Failed `presence:watch` commands (reported with the counters: they should be 0). */
let watchErrors = 0;

/** As a member panel does when it shows a room: asks for its rows' presence (Parley; the baseline has none). */
function watchOnce(kind: ServerKind, socket: BenchSocket, spec: ClientSpec): void {
  if (kind !== "parley" || !spec.watch) return;
  socket.emit("presence:watch", spec.watch, (result: AckResult<unknown>) => {
    if (!result.ok) watchErrors += 1;
  });
}

/** Members of each room that are connected right now. */
function connectedMembers(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of clients) {
    if (!c.socket.connected) continue;
    for (const r of c.spec.rooms) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return counts;
}

const padding = "x".repeat(4_000);
const bodyFor = (phase: number, sentAt: number, length: number) => {
  const head = `B|${phase}|${sentAt.toFixed(3)}|`;
  return head + padding.slice(0, Math.max(0, length - head.length));
};

/**
 * Open-loop schedule: sender i sends its k-th message at start + offset_i + k/rate,
 * whatever happened to earlier sends (a slow server gets more queued, as in real life).
 * Every process walks every sender's schedule: `send` is called for each due
 * send, told whether it falls inside the measured window; a process sends only
 * for its own senders and counts the deliveries its clients should get from all.
 */
async function schedule(
  { senders, ratePerSender, startAt, warmupSeconds, seconds }: Schedule,
  send: (sender: PlacedSender, inWindow: boolean, at: number) => void,
): Promise<void> {
  const from = startAt + warmupSeconds * 1000;
  const to = from + seconds * 1000;
  const interval = 1000 / ratePerSender;
  const offsets = senders.map((_, i) => (i / senders.length) * interval);
  const sent = senders.map(() => 0);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      let done = true;
      senders.forEach((sender, i) => {
        for (;;) {
          const due = startAt + offsets[i]! + sent[i]! * interval;
          if (due >= to) break;
          done = false;
          if (due > t) break;
          sent[i]! += 1;
          send(sender, due >= from, now());
        }
      });
      if (done) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 2);
  });
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = now() + timeoutMs;
  while (!check()) {
    if (now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

function clientAt(index: number): BenchSocket {
  const client = clients[index];
  if (!client) throw new Error(`no client ${index}`);
  return client.socket;
}

const countError = (errors: Record<string, number>, result: AckResult<unknown> | undefined) => {
  const code = result && !result.ok ? result.error.code : "no_answer";
  errors[code] = (errors[code] ?? 0) + 1;
};

async function fanout(req: Schedule): Promise<FanoutPart> {
  const members = connectedMembers();
  const phase = { id: req.phaseId, latency: new Samples(), received: 0, all: 0 };
  const ack = new Samples();
  const ackErrors: Record<string, number> = {};
  let sent = 0;
  let expected = 0;
  let pendingAcks = 0;
  activePhase = phase;
  const presenceBefore = presenceEvents;
  const loop = monitorEventLoopDelay({ resolution: 5 }); // as the servers' probe (bench/probe.ts)
  loop.enable();
  await schedule(req, (sender, inWindow, at) => {
    const own = sender.client !== null;
    // Every connected member here but the sender gets it.
    if (inWindow) expected += Math.max(0, (members.get(sender.roomId) ?? 0) - (own ? 1 : 0));
    if (!own) return;
    if (inWindow) sent += 1;
    pendingAcks += 1;
    clientAt(sender.client!).emit(
      "message:send",
      { roomId: sender.roomId, clientId: randomUUID(), body: bodyFor(inWindow ? req.phaseId : 0, at, req.bodyLength) },
      (result: AckResult<unknown> | undefined) => {
        pendingAcks -= 1;
        if (!inWindow) return;
        if (result?.ok) ack.add(now() - at);
        else countError(ackErrors, result);
      },
    );
  });
  await until(() => phase.received >= expected && pendingAcks === 0, 15_000);
  loop.disable();
  activePhase = undefined;
  return {
    sent,
    expected,
    received: phase.received,
    receivedAll: phase.all,
    latency: phase.latency.values(),
    ack: ack.values(),
    ackErrors,
    loadgenLoop: { p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6 },
    presencePackets: presenceEvents - presenceBefore,
  };
}

async function throughput(req: Schedule): Promise<ThroughputPart> {
  const ack = new Samples();
  const ackErrors: Record<string, number> = {};
  const from = req.startAt + req.warmupSeconds * 1000;
  const to = from + req.seconds * 1000;
  let sent = 0;
  let acked = 0;
  let ackedInWindow = 0;
  let pending = 0;
  await schedule(req, (sender, inWindow, at) => {
    if (sender.client === null) return;
    if (inWindow) sent += 1;
    pending += 1;
    clientAt(sender.client).emit(
      "message:send",
      { roomId: sender.roomId, clientId: randomUUID(), body: bodyFor(req.phaseId, at, req.bodyLength) },
      (result: AckResult<{ message: ChatMessage }>) => {
        pending -= 1;
        const t = now();
        if (result?.ok && t >= from && t < to) ackedInWindow += 1;
        if (!inWindow) return;
        if (result?.ok) {
          acked += 1;
          ack.add(t - at);
        } else {
          countError(ackErrors, result);
        }
      },
    );
  });
  await until(() => pending === 0, 15_000);
  return { sent, acked, ackedInWindow, ack: ack.values(), ackErrors, unanswered: pending };
}

async function replay(req: ReplayRequest): Promise<ReplayResult> {
  const writer = clientAt(req.writer);
  const reader = clientAt(req.reader);
  const joined = await reader.emitWithAck<AckResult<{ lastSeq: number }>>("room:join", { roomId: req.roomId }, 10_000);
  if (!joined.ok) throw new Error(`reader could not join the replay room: ${joined.error.code}`);
  let held = joined.data.lastSeq;
  const total: number[] = [];
  const syncOnly: number[] = [];
  let pages = 0;
  let writeSeconds = 0;
  let complete = true;
  for (let r = 0; r < req.repeats; r++) {
    reader.disconnect();
    // The writer stores `missed` messages while the reader is away (pipelined, all acked = committed).
    const writeStarted = now();
    let lastSeq = held;
    let next = 0;
    const worker = async () => {
      while (next < req.missed) {
        next += 1;
        const result = await writer.emitWithAck<AckResult<{ message: ChatMessage }>>(
          "message:send",
          { roomId: req.roomId, clientId: randomUUID(), body: `replay ${r} ${next}` },
          30_000,
        );
        if (!result.ok) throw new Error(`replay write failed: ${result.error.code}`);
        lastSeq = Math.max(lastSeq, result.data.message.seq);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    writeSeconds += (now() - writeStarted) / 1000;
    await sleep(200);

    // The reader comes back: reconnect, then room:sync from the last seq it holds until hasMore is false.
    const t0 = now();
    await waitConnected(reader);
    const t1 = now();
    let got = 0;
    let cursor = held;
    for (;;) {
      const page = await reader.emitWithAck<AckResult<Page<ChatMessage>>>(
        "room:sync",
        { roomId: req.roomId, afterSeq: cursor, limit: req.pageSize },
        30_000,
      );
      if (!page.ok) throw new Error(`room:sync failed: ${page.error.code}`);
      pages += 1;
      for (const m of page.data.messages) {
        if (m.seq !== cursor + 1) complete = false;
        cursor = m.seq;
        got += 1;
      }
      if (!page.data.hasMore) break;
    }
    const t2 = now();
    total.push(t2 - t0);
    syncOnly.push(t2 - t1);
    if (cursor !== lastSeq || got < req.missed) complete = false;
    held = cursor;
  }
  return { reconnectAndReplay: summarize(total), syncOnly: summarize(syncOnly), pages, writeSeconds, complete };
}

async function join(req: GeneratorRequest & { type: "join" }): Promise<{ joined: true }> {
  const [token] = await mint(req.kind, [req.client]);
  const socket = socketFor(req.kind, req.urls[req.client.target ?? 0] ?? req.urls[0]!, req.client, token);
  extras.push(socket);
  await waitConnected(socket);
  watchOnce(req.kind, socket, req.client);
  return { joined: true };
}

function counters(reset: boolean): CountersResult {
  const result = { presenceEvents, presenceChanges, otherEvents, watchErrors, lastEventAgoMs: now() - lastEventAt };
  if (reset) {
    presenceEvents = 0;
    presenceChanges = 0;
    otherEvents = 0;
  }
  return result;
}

async function disconnectAll(): Promise<{ closed: number }> {
  const all = [...clients.map((c) => c.socket), ...extras];
  for (const socket of all) {
    socket.removeAllListeners();
    socket.disconnect();
  }
  clients = [];
  extras = [];
  await sleep(500);
  return { closed: all.length };
}

async function handle(request: GeneratorRequest): Promise<GeneratorResultOf[GeneratorRequest["type"]]> {
  switch (request.type) {
    case "connect":
      return connect(request);
    case "fanout":
      return fanout(request);
    case "throughput":
      return throughput(request);
    case "replay":
      return replay(request);
    case "join":
      return join(request);
    case "members":
      return Object.fromEntries(connectedMembers());
    case "counters":
      return counters(request.reset);
    case "disconnect":
      return disconnectAll();
  }
}

if (!process.send) {
  console.error("bench/load-generator.ts is started by bench/run.ts (it needs an IPC channel)");
  process.exit(1);
}
process.on("message", (envelope: Envelope) => {
  void handle(envelope.request).then(
    (result) => process.send?.({ id: envelope.id, ok: true, result } satisfies Reply),
    (err: unknown) => process.send?.({ id: envelope.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies Reply),
  );
});
process.on("disconnect", () => process.exit(0));
