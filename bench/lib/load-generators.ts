// The load generator as the orchestrator (bench/run.ts) sees it: one or more
// processes (bench/load-generator.ts) holding the simulated clients between
// them, behind one `request` that speaks the orchestrator's protocol. One
// process tops out at one core: at 5,000 clients it receives ~25,000
// deliveries/s and its own event-loop stalls set the latency tails of both
// servers. Several processes share that work; on a machine with cores to spare
// the big rows then measure the servers instead of the load generator.
//
// Clients are spread in contiguous blocks of each connect request, so every
// room has members in every process; a sender lives in one process, the others
// only count the deliveries their clients should get from it.
import { spawn } from "node:child_process";
import { ROOT } from "./processes";
import {
  monotonicMs,
  type ConnectRequest,
  type ConnectResult,
  type Envelope,
  type FanoutRequest,
  type FanoutResult,
  type GeneratorRequest,
  type GeneratorResultOf,
  type PlacedSender,
  type PresenceRequest,
  type PresenceResult,
  type Reply,
  type Request,
  type ResultOf,
  type Sender,
  type ThroughputRequest,
  type ThroughputResult,
} from "./protocol";
import { summarize } from "./stats";

export interface LoadGenerator {
  /** One per process, for CPU readings. */
  pids: number[];
  request<R extends Request>(request: R): Promise<ResultOf[R["type"]]>;
  stop(): Promise<void>;
}

/** One load-generator process and its IPC channel. */
interface GeneratorProcess {
  pid: number;
  request<R extends GeneratorRequest>(request: R): Promise<GeneratorResultOf[R["type"]]>;
  stop(): Promise<void>;
}

function startGeneratorProcess(entry: string, env: Record<string, string | undefined>): GeneratorProcess {
  const child = spawn(process.execPath, ["--max-old-space-size=4096", entry], {
    cwd: ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    // Structured clone: latency samples travel as typed arrays, not JSON.
    serialization: "advanced",
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on("message", (reply: Reply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(new Error(`load generator ${child.pid}: ${reply.error}`));
  });
  void exited.then(() => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load generator ${child.pid} exited`));
    pending.clear();
  });
  return {
    pid: child.pid!,
    request<R extends GeneratorRequest>(request: R) {
      const id = nextId++;
      return new Promise<GeneratorResultOf[R["type"]]>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, request } satisfies Envelope);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per-key sums of error counts. */
function addCounts(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
  return into;
}

/** All the parts' samples in one array. */
function concat(parts: Float64Array[]): Float64Array {
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return all;
}

const sum = <T>(parts: T[], of: (p: T) => number) => parts.reduce((n, p) => n + of(p), 0);

/** A phase starts this long after it is asked for, so every process has its request before the first send is due. */
const START_DELAY_MS = 50;

export function startLoadGenerators(entry: string, env: Record<string, string | undefined>, count: number): LoadGenerator {
  const processes = Array.from({ length: Math.max(1, count) }, () => startGeneratorProcess(entry, env));
  /** Client index (the orchestrator's, in connect order) → the process holding it and its index there. */
  const placement: { process: number; local: number }[] = [];
  const held = processes.map(() => 0);
  let phaseId = 0;

  const all = <R extends GeneratorRequest>(request: R) => Promise.all(processes.map((p) => p.request(request)));
  const placed = (client: number) => {
    const at = placement[client];
    if (!at) throw new Error(`no client ${client}`);
    return at;
  };
  /** Each process's view of the senders: its own by local index, the others' as null. */
  const sendersFor = (senders: Sender[], process: number): PlacedSender[] =>
    senders.map((s) => {
      const at = placed(s.client);
      return { roomId: s.roomId, client: at.process === process ? at.local : null };
    });
  const schedule = (req: FanoutRequest | ThroughputRequest) => {
    phaseId += 1;
    const startAt = monotonicMs() + START_DELAY_MS;
    const { senders, ratePerSender, warmupSeconds, seconds, bodyLength } = req;
    return (process: number) => ({ senders: sendersFor(senders, process), ratePerSender, startAt, warmupSeconds, seconds, bodyLength, phaseId });
  };

  async function connect(req: ConnectRequest): Promise<ConnectResult> {
    const firstIndex = placement.length;
    const blocks = processes.map((_, p) => {
      const from = Math.floor((req.clients.length * p) / processes.length);
      const to = Math.floor((req.clients.length * (p + 1)) / processes.length);
      return req.clients.slice(from, to);
    });
    blocks.forEach((block, p) => {
      for (let i = 0; i < block.length; i++) placement.push({ process: p, local: held[p]! + i });
      held[p]! += block.length;
    });
    // Handshakes in flight are the request's, shared out.
    const concurrency = Math.max(1, Math.round(req.concurrency / processes.length));
    const parts = await Promise.all(
      processes.map((p, i) =>
        blocks[i]!.length === 0
          ? undefined
          : p.request({ type: "connect", kind: req.kind, urls: req.urls, clients: blocks[i]!, concurrency }),
      ),
    );
    const done = parts.filter((p) => p !== undefined);
    const connected = sum(done, (p) => p.connected);
    const seconds = (Math.max(...done.map((p) => p.endedAt)) - Math.min(...done.map((p) => p.startedAt))) / 1000;
    const errors = done.reduce((into, p) => addCounts(into, p.errors), {} as Record<string, number>);
    return {
      firstIndex,
      connected,
      failed: sum(done, (p) => p.failed),
      errors: Object.entries(errors).map(([e, n]) => `${e} (x${n})`),
      seconds,
      perSecond: connected / seconds,
      latency: summarize(concat(done.map((p) => p.latency))),
      tokenSeconds: Math.max(...done.map((p) => p.tokenSeconds)),
    };
  }

  async function fanout(req: FanoutRequest): Promise<FanoutResult> {
    const forProcess = schedule(req);
    const parts = await Promise.all(processes.map((p, i) => p.request({ type: "fanout", ...forProcess(i) })));
    const sent = sum(parts, (p) => p.sent);
    const received = sum(parts, (p) => p.received);
    return {
      sent,
      expected: sum(parts, (p) => p.expected),
      received,
      receivedAll: sum(parts, (p) => p.receivedAll),
      latency: summarize(concat(parts.map((p) => p.latency))),
      ack: summarize(concat(parts.map((p) => p.ack))),
      ackErrors: parts.reduce((into, p) => addCounts(into, p.ackErrors), {} as Record<string, number>),
      offeredPerSecond: sent / req.seconds,
      deliveriesPerSecond: received / req.seconds,
      // The worst process: a tail that matches it was spent in a load generator.
      loadgenLoop: {
        p99Ms: Math.max(...parts.map((p) => p.loadgenLoop.p99Ms)),
        maxMs: Math.max(...parts.map((p) => p.loadgenLoop.maxMs)),
      },
      presencePackets: sum(parts, (p) => p.presencePackets),
    };
  }

  async function throughput(req: ThroughputRequest): Promise<ThroughputResult> {
    const forProcess = schedule(req);
    const parts = await Promise.all(processes.map((p, i) => p.request({ type: "throughput", ...forProcess(i) })));
    const sent = sum(parts, (p) => p.sent);
    return {
      offeredPerSecond: sent / req.seconds,
      sent,
      acked: sum(parts, (p) => p.acked),
      ackedPerSecond: sum(parts, (p) => p.ackedInWindow) / req.seconds,
      ack: summarize(concat(parts.map((p) => p.ack))),
      ackErrors: parts.reduce((into, p) => addCounts(into, p.ackErrors), {} as Record<string, number>),
      unanswered: sum(parts, (p) => p.unanswered),
    };
  }

  /** Presence packets delivered to every process's clients so far. */
  const presenceSoFar = async () => sum(await all({ type: "counters", reset: false }), (c) => c.presenceEvents);

  /** One joiner at a time, each in the next process; counts what every process's clients heard of it. */
  async function presence(req: PresenceRequest): Promise<PresenceResult> {
    const members = new Map<string, number>();
    for (const counts of await all({ type: "members" })) {
      for (const [room, n] of Object.entries(counts)) members.set(room, (members.get(room) ?? 0) + n);
    }
    const perJoin: number[] = [];
    let roomMembersConnected = 0;
    for (const [i, client] of req.joiners.entries()) {
      await sleep(300);
      const before = await presenceSoFar();
      await processes[i % processes.length]!.request({ type: "join", kind: req.kind, urls: req.urls, client });
      await sleep(req.windowMs);
      perJoin.push((await presenceSoFar()) - before);
      roomMembersConnected = Math.max(roomMembersConnected, client.rooms.reduce((n, r) => n + (members.get(r) ?? 0), 0));
    }
    return { perJoin: summarize(perJoin), roomMembersConnected };
  }

  async function handle(request: Request): Promise<ResultOf[Request["type"]]> {
    switch (request.type) {
      case "connect":
        return connect(request);
      case "fanout":
        return fanout(request);
      case "throughput":
        return throughput(request);
      case "replay": {
        const writer = placed(request.writer);
        const reader = placed(request.reader);
        if (writer.process !== reader.process) throw new Error("replay: the writer and the reader must be held by the same load-generator process");
        return processes[writer.process]!.request({ ...request, writer: writer.local, reader: reader.local });
      }
      case "presence":
        return presence(request);
      case "counters": {
        const parts = await all(request);
        return {
          presenceEvents: sum(parts, (c) => c.presenceEvents),
          presenceChanges: sum(parts, (c) => c.presenceChanges),
          otherEvents: sum(parts, (c) => c.otherEvents),
          watchErrors: sum(parts, (c) => c.watchErrors),
          lastEventAgoMs: Math.min(...parts.map((c) => c.lastEventAgoMs)),
        };
      }
      case "disconnect": {
        const parts = await all(request);
        placement.length = 0;
        held.fill(0);
        return { closed: sum(parts, (c) => c.closed) };
      }
    }
  }

  return {
    pids: processes.map((p) => p.pid),
    request: <R extends Request>(request: R) => handle(request) as Promise<ResultOf[R["type"]]>,
    async stop() {
      await Promise.all(processes.map((p) => p.stop()));
    },
  };
}
