// The shape of one bench run's results (written as JSON to bench/results/raw/
// and rendered to markdown and SVG by bench/report.ts and bench/plot.ts).
import type { ConnectResult, FanoutResult, PresenceResult, ProbeLoopDelay, ProbeMemory, ReplayResult, ThroughputResult } from "./protocol";
import type { Summary } from "./stats";

/** CPU over a phase, % of one core (the machine has `cores`; 100% x cores = saturated). */
export interface Cpu {
  /** The server process (sum over nodes for two-node rows). */
  server: number;
  /** The load-generator processes together. */
  loadgen: number;
  /** The busiest load-generator process (one process can use one core at most). Absent in runs before --generators. */
  loadgenBusiest?: number;
  /** Every process on the machine, ours or not. */
  machine: number;
  /** Length of the window, seconds (CPU seconds = % / 100 x seconds). */
  seconds: number;
}

export interface MemoryRow {
  before: ProbeMemory;
  after: ProbeMemory;
  /** (RSS after - RSS before) / clients, bytes. */
  rssPerConnection: number;
  heapPerConnection: number;
  /** (heapUsed + external) delta / clients, bytes. */
  accountedPerConnection: number;
}

/** What the bench adds to one fan-out measurement (the best of `attempts` runs). */
export interface FanoutRun {
  cpu: Cpu;
  /** Every run's p99 (ms). */
  attempts: number[];
  /** How late the server's event loop (the slowest node's) and the load generator's ran timers, worst of each run (ms), in the order of `attempts`. */
  loops?: { serverMaxMs: number; loadgenMaxMs: number }[];
}

export interface StepResult {
  clients: number;
  /** The clients connected in this step (the rest were already connected). */
  connectedNow: number;
  connect: ConnectResult & { cpu: Cpu };
  /** After the connect: until no presence event arrived for a second. */
  /** Presence packets and the changes they carried (a `presence:batch` carries several). */
  settle: { seconds: number; presenceEvents: number; presenceChanges?: number; cpu: Cpu };
  /** One per node. */
  memory: MemoryRow[];
  /** The best (lowest p99) of `attempts.length` runs; `attempts` holds every run's p99. */
  fanout: FanoutResult & FanoutRun & { rooms: number; senders: number; membersPerRoom: number };
  bigRoom?: FanoutResult & FanoutRun & { members: number; senders: number };
  presence?: PresenceResult;
  /** Parley only, one per node: how long a GET /metrics took (median of 3) with this step's clients connected. Absent in older runs. */
  scrapeMs?: number[];
}

export type SeriesKind = "baseline" | "parley" | "parley-2node";

export interface Series {
  kind: SeriesKind;
  label: string;
  steps: StepResult[];
  /**
   * Once every client of the series left (and, for Parley, was announced
   * offline): each node's memory after a full GC, beside its reading before
   * the first client. What a node keeps of connections that are gone. Absent
   * in older runs.
   */
  departed?: { clients: number; before: ProbeMemory[]; after: ProbeMemory[] };
}

export interface WritePathResult {
  throughput: (ThroughputResult & {
    cpu: Cpu;
    rooms: number;
    senders: number;
    /** Group-commit statements during the phase (from /metrics): how many, per second, mean batch, mean time. */
    db?: {
      statements: number;
      perSecond: number;
      meanBatch: number;
      meanStatementMs: number;
      /** p99s from the server's histograms (bucket-interpolated; absent in older results): message:send receive-to-ack, and one transaction. */
      serverAckP99Ms?: number;
      statementP99Ms?: number;
    };
    /** The server's event-loop delay during the phase (absent in results from before it was measured). */
    loop?: ProbeLoopDelay;
  })[];
  /** Parley only. */
  replay?: ReplayResult & { missed: number; pageSize: number };
}

export interface RunResult {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: {
    cores: number;
    loadAverageAtStart: number[];
    node: string;
    memoryGiB: number;
    /** One 16-byte TCP round trip at a time on 127.0.0.1 (bench/lib/calibrate.ts): what a socket write costs here. Absent in older runs. */
    loopbackRoundTripMs?: Summary;
    /** The same CPU work timed at the start and the end of the run (bench/lib/calibrate.ts). Absent in older runs. */
    cpuWorkMs?: { start: number; end: number };
  };
  setup: {
    server: "realtime" | "full";
    database: "postgres" | "pglite";
    redis: boolean;
    openFilesLimit: string;
    fanoutSeconds: number;
    warmupSeconds: number;
    ratePerSender: number;
    bodyLength: number;
    /** Load-generator processes sharing the clients (1 in runs before --generators). */
    loadGenerators?: number;
    /** The load generator's Socket.IO client (absent in runs before the lean client: socket.io-client). */
    client?: "lean" | "socket.io";
    /** Node flags every server ran with: the production start's (absent in runs before they were passed). */
    nodeFlags?: string[];
  };
  series: Series[];
  /** The write path on the node of the Parley series, with that series' 10,000 (or last step's) clients still connected. */
  writePath?: WritePathResult;
  /** The same load on a fresh Parley node with only the senders connected (absent in older results). */
  writePathAlone?: WritePathResult;
  /** The same offered load against the bare relay, for reference. */
  baselineWritePath?: WritePathResult;
  notes: string[];
}
