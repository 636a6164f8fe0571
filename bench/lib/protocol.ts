// What the orchestrator (bench/run.ts) and the load generator
// (bench/load-generator.ts, a separate process) say to each other over the
// Node IPC channel. Every request has an id; the answer carries the same id.
import type { Summary } from "./stats";

/** One simulated user. */
export interface ClientSpec {
  userId: string;
  name: string;
  /** The rooms this user is a member of (Parley joins them at connect; the baseline is told them). */
  rooms: string[];
  /** Which server this client connects to (index into the `urls` of `connect`). */
  target?: number;
  /** Parley only: the room-mates whose presence it asks for once connected (`presence:watch`). */
  watch?: { roomId: string; userIds: string[] };
}

export type ServerKind = "baseline" | "parley";

export interface ConnectRequest {
  type: "connect";
  kind: ServerKind;
  urls: string[];
  clients: ClientSpec[];
  /** Handshakes in flight at once. */
  concurrency: number;
}
export interface ConnectResult {
  /** Index of the first client of this request: senders are named by index. */
  firstIndex: number;
  connected: number;
  failed: number;
  errors: string[];
  seconds: number;
  perSecond: number;
  /** Per-connection time from `connect()` to the `connect` event (ms). */
  latency: Summary;
  /** Handshake tokens minted before the timed part (Parley), seconds. */
  tokenSeconds: number;
}

export interface Sender {
  /** Index of the sending client (in the order of `connect`). */
  client: number;
  roomId: string;
}

export interface FanoutRequest {
  type: "fanout";
  senders: Sender[];
  /** Messages per second per sender (open loop: the schedule does not wait for acks). */
  ratePerSender: number;
  warmupSeconds: number;
  seconds: number;
  /** Body length in characters (padded), like a short chat line. */
  bodyLength: number;
}
export interface FanoutResult {
  sent: number;
  /** Deliveries expected in the measured window: sends x (connected room members - the sender). */
  expected: number;
  received: number;
  /** Every message:created received while the phase ran (warm-up and drain included): for CPU per delivery. */
  receivedAll: number;
  /** Receive latency: from the sender's emit to a member's `message:created`, in the same process (ms). */
  latency: Summary;
  /** message:send ack latency (ms). */
  ack: Summary;
  ackErrors: Record<string, number>;
  offeredPerSecond: number;
  deliveriesPerSecond: number;
  /**
   * How late the load generator's own event loop ran timers during the phase
   * (ms): a receive-latency tail that matches it was spent in the client
   * process (its garbage collection, say), not on the server or the wire.
   */
  loadgenLoop: ProbeLoopDelay;
  /**
   * Presence packets the clients received during the phase (warm-up included):
   * should be 0, or the window also measured a connect storm's late presence.
   */
  presencePackets: number;
}

export interface ThroughputRequest {
  type: "throughput";
  senders: Sender[];
  ratePerSender: number;
  warmupSeconds: number;
  seconds: number;
  bodyLength: number;
}
export interface ThroughputResult {
  offeredPerSecond: number;
  sent: number;
  acked: number;
  /** Acked (= committed) messages per second over the measured window. */
  ackedPerSecond: number;
  ack: Summary;
  ackErrors: Record<string, number>;
  /** Sends still unanswered when the window closed plus the drain time. */
  unanswered: number;
}

export interface ReplayRequest {
  type: "replay";
  writer: number;
  reader: number;
  roomId: string;
  missed: number;
  repeats: number;
  pageSize: number;
}
export interface ReplayResult {
  /** From `connect()` of the returning client until it holds every missed message (ms). */
  reconnectAndReplay: Summary;
  /** From the first `room:sync` until the last page arrived (ms). */
  syncOnly: Summary;
  pages: number;
  /** Seconds the writer needed to store the missed messages (setup, not measured). */
  writeSeconds: number;
  complete: boolean;
}

export interface PresenceRequest {
  type: "presence";
  /** Clients (connected by this request, not part of `connect`) who join one at a time. */
  joiners: ClientSpec[];
  kind: ServerKind;
  urls: string[];
  /** How long to count the events one join caused. */
  windowMs: number;
}
export interface PresenceResult {
  /** Presence packets (`presence:changed` or `presence:batch`) delivered to connected clients per join. */
  perJoin: Summary;
  /** Members of the joiners' rooms connected at the time (the fan-out one would expect). */
  roomMembersConnected: number;
}

export interface CountersRequest {
  type: "counters";
  reset: boolean;
}
export interface CountersResult {
  presenceEvents: number;
  presenceChanges: number;
  otherEvents: number;
  /** `presence:watch` commands answered with an error, since the start (should stay 0). */
  watchErrors: number;
  lastEventAgoMs: number;
}

export interface DisconnectRequest {
  type: "disconnect";
}
export interface DisconnectResult {
  closed: number;
}

export type Request =
  | ConnectRequest
  | FanoutRequest
  | ThroughputRequest
  | ReplayRequest
  | PresenceRequest
  | CountersRequest
  | DisconnectRequest;

export interface ResultOf {
  connect: ConnectResult;
  fanout: FanoutResult;
  throughput: ThroughputResult;
  replay: ReplayResult;
  presence: PresenceResult;
  counters: CountersResult;
  disconnect: DisconnectResult;
}

// ------------------------------------------------------------------
// What the pool (bench/lib/load-generators.ts) asks each load-generator
// process. The clients are spread over the processes; every process runs a
// phase's whole open-loop schedule from the same start on the machine's
// monotonic clock (one clock for every process), sends only for its own
// senders and counts the deliveries its own clients should get from all of
// them. Latency samples come back raw, so the pool's percentiles are exact.

/** A sender as one process sees it: its own client (index in that process), or another process's (null). */
export interface PlacedSender {
  roomId: string;
  client: number | null;
}

/** The part of a phase's schedule every process shares. */
export interface Schedule {
  senders: PlacedSender[];
  ratePerSender: number;
  /** Monotonic clock (ms, `monotonicMs`) at which the schedule starts, the same in every process. */
  startAt: number;
  warmupSeconds: number;
  seconds: number;
  bodyLength: number;
  /** Carried in the bodies, so a receiver counts only this phase's messages. */
  phaseId: number;
}

export interface ConnectPart {
  connected: number;
  failed: number;
  errors: Record<string, number>;
  latency: Float64Array;
  /** Monotonic clock (ms) when the first handshake started and the last one ended. */
  startedAt: number;
  endedAt: number;
  tokenSeconds: number;
}

export interface FanoutPart {
  sent: number;
  expected: number;
  received: number;
  receivedAll: number;
  latency: Float64Array;
  ack: Float64Array;
  ackErrors: Record<string, number>;
  loadgenLoop: ProbeLoopDelay;
  presencePackets: number;
}

export interface ThroughputPart {
  sent: number;
  acked: number;
  ackedInWindow: number;
  ack: Float64Array;
  ackErrors: Record<string, number>;
  unanswered: number;
}

export type GeneratorRequest =
  | { type: "connect"; kind: ServerKind; urls: string[]; clients: ClientSpec[]; concurrency: number }
  | ({ type: "fanout" } & Schedule)
  | ({ type: "throughput" } & Schedule)
  | ReplayRequest
  /** One more client (not one of `connect`'s), as a user opening the app: connect, then watch. */
  | { type: "join"; kind: ServerKind; urls: string[]; client: ClientSpec }
  /** Connected clients per room. */
  | { type: "members" }
  | CountersRequest
  | DisconnectRequest;

export interface GeneratorResultOf {
  connect: ConnectPart;
  fanout: FanoutPart;
  throughput: ThroughputPart;
  replay: ReplayResult;
  join: { joined: true };
  members: Record<string, number>;
  counters: CountersResult;
  disconnect: DisconnectResult;
}

export type Envelope = { id: number; request: GeneratorRequest };
export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** The machine's monotonic clock in ms (µs resolution): the same clock in every process, unlike performance.now(). */
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1000n) / 1000;

/** Messages a server process started by the bench answers on its IPC channel (bench/probe.ts). */
/** How late the server's event loop ran timers since the previous reading (ms). */
export interface ProbeLoopDelay {
  p99Ms: number;
  maxMs: number;
  /** Servers only (absent in older results): full (mark-compact) collections since the last reading, and the main thread's time in every kind of GC. */
  fullGcs?: number;
  gcMs?: number;
}

export interface ProbeMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}
