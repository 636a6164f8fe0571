// The browser side of the realtime layer: one Socket.IO connection per tab and a
// small external store (for `useSyncExternalStore`) holding the room list, a
// per-room timeline of messages keyed by id and ordered by `seq`, and an outbox
// of messages not yet acknowledged.
//
// Delivery rules this file keeps (see ARCHITECTURE.md §3):
// - every listener is registered once, when the socket is created (registering
//   inside "connect" duplicates messages after a reconnect, socket.io #4919);
// - the handshake token is fetched by an `auth` FUNCTION, so every reconnect
//   presents a fresh one; it is renewed in place (`auth:renew`) before it expires;
// - after every (re)connect, and whenever a `seq` gap is seen, each held room is
//   synced from the last contiguous `seq` it holds (`room:sync`, paged) and the
//   results are merged by id: a message is never shown twice;
// - sends carry a client-generated `clientId` and are retried with the same one,
//   so the server stores each message once whatever happens to acks.
import { io, type Socket } from "socket.io-client";
import {
  ERROR_TEXT,
  MAX_BODY_LENGTH,
  roomNameSchema,
  type Ack,
  type AckResult,
  type ChatMessage,
  type ClientToServerEvents,
  type DisconnectNotice,
  type ErrorBody,
  type ErrorCode,
  type RoomSummary,
  type ServerToClientEvents,
  type UserRef,
} from "@/lib/contract";
import { fetchSocketToken, SignedOutError, type SocketToken } from "./socket-token";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the connection indicator shows. */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "offline";

export type MessageStatus = "sent" | "pending" | "failed";

/** One row of a room's timeline: a stored message, or one of ours still in the outbox. */
export interface TimelineMessage {
  /** Stable React key: the message id once stored, the clientId before. */
  key: string;
  id: string | null;
  seq: number | null;
  clientId: string;
  roomId: string;
  author: UserRef;
  body: string;
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  status: MessageStatus;
  /** Why a failed message failed. */
  error: ErrorBody | null;
}

export type TimelineStatus = "idle" | "loading" | "ready" | "error";

export interface RoomTimeline {
  status: TimelineStatus;
  error: ErrorBody | null;
  /** Stored messages ascending by seq, then the outbox (pending/failed) in send order. */
  items: readonly TimelineMessage[];
  /** Older messages exist on the server before the first one held. */
  hasMoreBefore: boolean;
  loadingOlder: boolean;
  /** Highest seq held with no hole below it (down to the oldest loaded). */
  tipSeq: number;
}

export interface ChatState {
  me: UserRef;
  connection: ConnectionState;
  /** A short human explanation of the connection state, when useful. */
  connectionDetail: string | null;
  roomsStatus: "loading" | "ready" | "error";
  roomsError: ErrorBody | null;
  /** Rooms visible to the user, by name. */
  rooms: readonly RoomSummary[];
  timelines: Readonly<Record<string, RoomTimeline>>;
  /** Rooms the user was removed from by a moderator while this tab was open. */
  removals: Readonly<Record<string, RoomRemoval>>;
  /** Rooms where the user is muted, until when (ISO), as announced while this tab was open. */
  mutedUntil: Readonly<Record<string, string>>;
}

export interface RoomRemoval {
  reason: "kicked" | "banned";
  by: UserRef;
}

export type Result<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

export interface ChatClientOptions {
  me: UserRef;
  /** Called once when the session is gone (token endpoint answered 401, or the server said so). */
  onSignedOut: (reason: "signed_out" | "banned") => void;
  /** Replaceable for tests. */
  fetchToken?: () => Promise<SocketToken>;
  /** Replaceable for tests: must create the socket with `autoConnect: false` and the given auth function. */
  createSocket?: (auth: (cb: (data: { token: string }) => void) => void) => ChatSocket;
}

const REQUEST_TIMEOUT_MS = 10_000;
const HISTORY_PAGE = 50;
const SYNC_PAGE = 200;
/** Beyond this many missed messages, reload the latest page instead of replaying them all. */
const SYNC_RELOAD_THRESHOLD = 1_000;
const SEND_MAX_AUTO_ATTEMPTS = 8;
const READ_THROTTLE_MS = 1_000;
/** Renew the token at this fraction of its remaining lifetime. */
const RENEW_AT = 0.8;

type CommandEvent = {
  [E in keyof ClientToServerEvents]: Parameters<ClientToServerEvents[E]> extends [unknown, Ack<never>] ? E : never;
}[keyof ClientToServerEvents];
type PayloadOf<E extends CommandEvent> = Parameters<ClientToServerEvents[E]>[0];
type AckDataOf<E extends CommandEvent> = Parameters<ClientToServerEvents[E]>[1] extends Ack<infer T> ? T : never;

/** The untyped shape of `socket.timeout(ms)`, used only inside `request()`, whose signature is typed. */
interface TimeoutEmitter {
  emit(event: string, payload: unknown, ack: (err: Error | null, result: unknown) => void): void;
}

interface OutboxEntry {
  clientId: string;
  roomId: string;
  body: string;
  createdAt: string;
  status: "pending" | "failed";
  error: ErrorBody | null;
  attempts: number;
  inFlight: boolean;
  retryTimer: ReturnType<typeof setTimeout> | null;
  view: TimelineMessage | null;
}

interface RoomData {
  id: string;
  byId: Map<string, ChatMessage>;
  bySeq: Map<number, string>;
  status: TimelineStatus;
  error: ErrorBody | null;
  /** Lowest seq of the loaded window; 1 once the whole history is held. */
  oldestSeq: number;
  tipSeq: number;
  hasMoreBefore: boolean;
  loadingOlder: boolean;
  /** Every change <= this is reflected in what we hold (only raised by history/sync answers). */
  changeCursor: number;
  syncing: boolean;
  syncAgain: boolean;
  /** Bumped at each sync run and at disconnect, so a stale run stops touching the room. */
  syncRun: number;
}

interface ReadMark {
  sentSeq: number;
  wantedSeq: number;
  timer: ReturnType<typeof setTimeout> | null;
  lastSentAt: number;
}

const EMPTY_TIMELINE: RoomTimeline = {
  status: "idle",
  error: null,
  items: [],
  hasMoreBefore: false,
  loadingOlder: false,
  tipSeq: 0,
};

function localError(code: ErrorCode, message?: string): ErrorBody {
  return { code, message: message ?? ERROR_TEXT[code] };
}

function isAckResult(value: unknown): value is AckResult<unknown> {
  if (typeof value !== "object" || value === null || !("ok" in value)) return false;
  const v = value as { ok: unknown; error?: unknown };
  if (v.ok === true) return "data" in value;
  return v.ok === false && typeof v.error === "object" && v.error !== null;
}

function byName(a: RoomSummary, b: RoomSummary): number {
  return a.name.localeCompare(b.name, undefined, { sensitivity: "base" });
}

function newClientId(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // Non-secure contexts (plain http on a LAN address) lack randomUUID.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function withJitter(ms: number): number {
  return Math.round(ms * (0.75 + Math.random() * 0.5));
}

export class ChatClient {
  readonly me: UserRef;
  private readonly socket: ChatSocket;
  private readonly options: ChatClientOptions;
  private readonly fetchToken: () => Promise<SocketToken>;
  private readonly subscribers = new Set<() => void>();
  private state: ChatState;

  private readonly rooms = new Map<string, RoomData>();
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly readMarks = new Map<string, ReadMark>();
  private readonly views = new WeakMap<ChatMessage, TimelineMessage>();

  private started = false;
  private signedOut = false;
  private everConnected = false;
  private failedAttempts = 0;
  private manualReconnectAttempt = 0;
  private lastNotice: DisconnectNotice["reason"] | null = null;
  private token: SocketToken | null = null;
  private renewTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: ChatClientOptions) {
    this.options = options;
    this.me = options.me;
    this.fetchToken = options.fetchToken ?? fetchSocketToken;
    this.state = {
      me: options.me,
      connection: "connecting",
      connectionDetail: null,
      roomsStatus: "loading",
      roomsError: null,
      rooms: [],
      timelines: {},
      removals: {},
      mutedUntil: {},
    };
    const auth = (cb: (data: { token: string }) => void) => this.provideHandshakeToken(cb);
    this.socket =
      options.createSocket?.(auth) ??
      io({
        autoConnect: false,
        transports: ["websocket", "polling"],
        auth,
        reconnectionDelay: 500,
        reconnectionDelayMax: 5_000,
      });
    this.registerListeners();
  }

  // ---------------------------------------------------------------- store API

  subscribe = (listener: () => void): (() => void) => {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  };

  getState = (): ChatState => this.state;

  private setState(patch: Partial<ChatState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.subscribers) listener();
  }

  // ---------------------------------------------------------------- lifecycle

  start(): void {
    if (this.started || this.signedOut) return;
    this.started = true;
    if (typeof window !== "undefined") {
      window.addEventListener("online", this.onBrowserOnline);
      window.addEventListener("offline", this.onBrowserOffline);
    }
    this.socket.connect();
    this.updateConnection();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this.onBrowserOnline);
      window.removeEventListener("offline", this.onBrowserOffline);
    }
    this.clearTimers();
    this.socket.disconnect();
  }

  private clearTimers(): void {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.renewTimer = null;
    this.reconnectTimer = null;
  }

  private onBrowserOnline = (): void => {
    this.updateConnection();
    // Don't wait for the next backoff step.
    if (this.started && !this.socket.connected) this.socket.connect();
  };

  private onBrowserOffline = (): void => {
    // The socket would only notice at the next missed heartbeat (up to ~45 s); engine.io
    // closes by itself on "offline" except for localhost. Drop it now: reconnection
    // then retries until the network is back, and the UI says "offline" meanwhile.
    if (this.socket.connected) this.socket.io.engine.close();
    this.updateConnection();
  };

  private handleSignedOut(reason: "signed_out" | "banned" = "signed_out"): void {
    if (this.signedOut) return;
    this.signedOut = true;
    this.stop();
    this.setState({ connection: "offline", connectionDetail: reason === "banned" ? "Your account was suspended" : "You are signed out" });
    this.options.onSignedOut(reason);
  }

  private computeConnection(): ConnectionState {
    if (this.socket.connected) return "connected";
    if (typeof navigator !== "undefined" && navigator.onLine === false) return "offline";
    if (this.failedAttempts >= 3) return "offline";
    return this.everConnected ? "reconnecting" : "connecting";
  }

  private updateConnection(detail?: string | null): void {
    const connection = this.computeConnection();
    let connectionDetail = detail === undefined ? this.state.connectionDetail : detail;
    if (connection === "connected") connectionDetail = null;
    else if (connection === "offline" && typeof navigator !== "undefined" && navigator.onLine === false) {
      connectionDetail = "Your device is offline";
    }
    if (connection !== this.state.connection || connectionDetail !== this.state.connectionDetail) {
      this.setState({ connection, connectionDetail });
    }
  }

  // ---------------------------------------------------------------- auth

  private provideHandshakeToken(cb: (data: { token: string }) => void): void {
    this.fetchToken().then(
      (token) => {
        this.token = token;
        cb({ token: token.token });
      },
      (err: unknown) => {
        if (err instanceof SignedOutError) {
          this.handleSignedOut(err.reason);
          return;
        }
        // The token endpoint is unreachable: let the server refuse the handshake;
        // the connect_error handler retries with backoff.
        this.token = null;
        cb({ token: "" });
      },
    );
  }

  private scheduleRenewal(): void {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.renewTimer = null;
    const token = this.token;
    if (!token) return;
    const remaining = token.expiresAt - token.receivedAt;
    const at = token.receivedAt + Math.max(0, remaining) * RENEW_AT;
    const delay = Math.max(250, at - Date.now());
    this.renewTimer = setTimeout(() => void this.renewToken(), delay);
  }

  private async renewToken(): Promise<void> {
    this.renewTimer = null;
    if (!this.socket.connected) return;
    let token: SocketToken;
    try {
      token = await this.fetchToken();
    } catch (err) {
      if (err instanceof SignedOutError) return this.handleSignedOut(err.reason);
      this.retryRenewalSoon();
      return;
    }
    const result = await this.request("auth:renew", { token: token.token });
    if (result.ok) {
      this.token = { ...token, expiresAt: result.data.expiresAt };
      this.scheduleRenewal();
    } else if (result.error.code === "unauthorized") {
      // The server will cut us off with a notice; the reconnect fetches a new token.
      return;
    } else {
      this.retryRenewalSoon();
    }
  }

  private retryRenewalSoon(): void {
    if (!this.socket.connected || !this.token) return;
    // Keep trying until expiry; after that the server disconnects us and we reconnect.
    if (Date.now() >= this.token.expiresAt) return;
    this.renewTimer = setTimeout(() => void this.renewToken(), 2_000);
  }

  private scheduleManualReconnect(baseDelay?: number): void {
    if (!this.started || this.signedOut) return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const step = Math.min(this.manualReconnectAttempt, 5);
    this.manualReconnectAttempt += 1;
    const delay = baseDelay ?? withJitter(Math.min(1_000 * 2 ** step, 15_000));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.started && !this.socket.connected) this.socket.connect();
    }, delay);
  }

  // ---------------------------------------------------------------- socket events

  /** Every listener is registered here, once, when the socket is created. */
  private registerListeners(): void {
    const socket = this.socket;

    socket.on("connect", () => {
      this.everConnected = true;
      this.failedAttempts = 0;
      this.manualReconnectAttempt = 0;
      this.lastNotice = null;
      this.updateConnection(null);
      this.scheduleRenewal();
      void this.afterConnect();
    });

    socket.on("connect_error", () => {
      this.failedAttempts += 1;
      this.updateConnection(this.everConnected ? "Trying to reconnect…" : "Connecting to the server…");
      // `active` is false when the server refused the handshake (middleware error):
      // Socket.IO does not retry by itself then. Retry with a fresh token.
      if (!socket.active) this.scheduleManualReconnect();
    });

    socket.on("disconnect", (reason) => {
      if (this.renewTimer) clearTimeout(this.renewTimer);
      this.renewTimer = null;
      for (const room of this.rooms.values()) {
        room.syncing = false;
        room.syncRun += 1;
      }
      const notice = this.lastNotice;
      this.lastNotice = null;
      if (reason === "io client disconnect") {
        this.updateConnection(null);
        return;
      }
      // The notice comes just before the server cuts the connection, whatever the reason reads.
      if (notice === "signed_out" || notice === "banned") return this.handleSignedOut(notice);
      const byServer = reason === "io server disconnect";
      this.updateConnection(
        notice === "token_expired"
          ? "Session expired, reconnecting…"
          : notice === "server_shutdown"
            ? "Server restarting, reconnecting…"
            : byServer
              ? "Disconnected by the server, reconnecting…"
              : "Connection lost, reconnecting…",
      );
      // Socket.IO reconnects by itself after transport failures, not after a server-side
      // disconnect: do it here (the auth function fetches a fresh token).
      if (byServer) {
        this.scheduleManualReconnect(notice === "token_expired" ? 0 : notice === "server_shutdown" ? withJitter(800) : undefined);
      }
    });

    socket.io.on("reconnect_attempt", () => this.updateConnection());
    socket.io.on("reconnect_error", () => {
      this.failedAttempts += 1;
      this.updateConnection("Can't reach the server, retrying…");
    });

    socket.on("session:notice", (notice) => {
      this.lastNotice = notice.reason;
    });

    socket.on("message:created", (m) => this.onMessageEvent(m, true));
    socket.on("message:updated", (m) => this.onMessageEvent(m, false));
    socket.on("message:deleted", (m) => this.onMessageEvent(m, false));

    // Cross-node events may have been lost (e.g. Redis was down): converge from the database.
    socket.on("sync:required", () => void this.resyncAll());

    socket.on("room:created", (room) => {
      if (this.state.rooms.some((r) => r.id === room.id)) return;
      this.upsertRooms([room]);
    });
    socket.on("room:member-joined", (e) => this.onMembership(e.roomId, e.user, e.memberCount, true));
    socket.on("room:member-left", (e) => this.onMembership(e.roomId, e.user, e.memberCount, false));
    socket.on("room:removed", (e) => {
      this.setState({ removals: { ...this.state.removals, [e.roomId]: { reason: e.reason, by: e.by } } });
      this.patchRoom(e.roomId, (r) => ({ ...r, membership: null }));
      this.dropRoom(e.roomId);
    });
    socket.on("room:member-muted", (e) => {
      if (e.user.id !== this.me.id) return;
      const mutedUntil = { ...this.state.mutedUntil };
      if (e.mutedUntil && Date.parse(e.mutedUntil) > Date.now()) mutedUntil[e.roomId] = e.mutedUntil;
      else delete mutedUntil[e.roomId];
      this.setState({ mutedUntil });
    });
  }

  private async afterConnect(): Promise<void> {
    this.flushOutbox();
    await this.resyncAll();
  }

  /** Refreshes the room list (unread counts) and catches every held room up. */
  private async resyncAll(): Promise<void> {
    await this.loadRooms();
    if (!this.socket.connected) return;
    for (const room of this.rooms.values()) {
      if (!this.isMember(room.id)) {
        this.dropRoom(room.id);
        continue;
      }
      if (room.status === "ready") void this.syncRoom(room.id);
      else if (room.status === "loading" || room.status === "error") void this.loadHistory(room.id);
    }
  }

  /** Sends a command and resolves with its ack, or with an error if none came in time. */
  private request<E extends CommandEvent>(
    event: E,
    payload: PayloadOf<E>,
    timeoutMs: number = REQUEST_TIMEOUT_MS,
  ): Promise<Result<AckDataOf<E>>> {
    if (!this.socket.connected) {
      return Promise.resolve({ ok: false, error: localError("unavailable", "You are offline") });
    }
    return new Promise((resolve) => {
      const emitter = this.socket.timeout(timeoutMs) as unknown as TimeoutEmitter;
      emitter.emit(event, payload, (err, result) => {
        if (err) {
          resolve({ ok: false, error: localError("unavailable", "No answer from the server") });
        } else if (!isAckResult(result)) {
          resolve({ ok: false, error: localError("internal") });
        } else {
          resolve(result as Result<AckDataOf<E>>);
        }
      });
    });
  }

  // ---------------------------------------------------------------- rooms

  private isMember(roomId: string): boolean {
    return this.state.rooms.find((r) => r.id === roomId)?.membership != null;
  }

  findRoom(roomId: string): RoomSummary | undefined {
    return this.state.rooms.find((r) => r.id === roomId);
  }

  async loadRooms(): Promise<void> {
    const result = await this.request("room:list", {});
    if (!result.ok) {
      if (this.state.roomsStatus !== "ready") this.setState({ roomsStatus: "error", roomsError: result.error });
      return;
    }
    const previous = new Map(this.state.rooms.map((r) => [r.id, r]));
    const rooms = result.data.rooms.map((room) => {
      const before = previous.get(room.id);
      if (!before || !room.membership || !before.membership) return room;
      // Keep what we learnt locally meanwhile (live messages, a read mark in flight).
      return {
        ...room,
        lastSeq: Math.max(room.lastSeq, before.lastSeq),
        lastChange: Math.max(room.lastChange, before.lastChange),
        membership: { ...room.membership, lastReadSeq: Math.max(room.membership.lastReadSeq, before.membership.lastReadSeq) },
      };
    });
    this.setState({ rooms: rooms.sort(byName), roomsStatus: "ready", roomsError: null });
  }

  private upsertRooms(rooms: RoomSummary[]): void {
    const map = new Map(this.state.rooms.map((r) => [r.id, r]));
    for (const room of rooms) map.set(room.id, room);
    this.setState({ rooms: [...map.values()].sort(byName) });
  }

  private patchRoom(roomId: string, patch: (room: RoomSummary) => RoomSummary): void {
    const index = this.state.rooms.findIndex((r) => r.id === roomId);
    if (index < 0) return;
    const current = this.state.rooms[index];
    if (!current) return;
    const next = patch(current);
    if (next === current) return;
    const rooms = [...this.state.rooms];
    rooms[index] = next;
    this.setState({ rooms });
  }

  private onMembership(roomId: string, user: UserRef, memberCount: number, joined: boolean): void {
    const isMe = user.id === this.me.id;
    this.patchRoom(roomId, (room) => {
      let membership = room.membership;
      if (isMe && joined && !membership) membership = { role: "MEMBER", lastReadSeq: room.lastSeq };
      if (isMe && !joined) membership = null;
      return { ...room, memberCount, membership };
    });
    if (isMe && !joined) this.dropRoom(roomId);
  }

  async createRoom(name: string, isPublic: boolean): Promise<Result<RoomSummary>> {
    const parsed = roomNameSchema.safeParse(name);
    if (!parsed.success) {
      return { ok: false, error: localError("invalid_payload", parsed.error.issues[0]?.message ?? "Invalid room name") };
    }
    const result = await this.request("room:create", { name: parsed.data, isPublic });
    if (!result.ok) return result;
    this.upsertRooms([result.data.room]);
    return { ok: true, data: result.data.room };
  }

  async joinRoom(roomId: string): Promise<Result<RoomSummary>> {
    const result = await this.request("room:join", { roomId });
    if (!result.ok) return result;
    const room = result.data.room;
    this.upsertRooms([{ ...room, lastSeq: Math.max(room.lastSeq, result.data.lastSeq) }]);
    if (this.state.removals[roomId]) {
      const removals = { ...this.state.removals };
      delete removals[roomId];
      this.setState({ removals });
    }
    return { ok: true, data: room };
  }

  async leaveRoom(roomId: string): Promise<Result<null>> {
    const result = await this.request("room:leave", { roomId });
    if (!result.ok) return result;
    const room = this.findRoom(roomId);
    if (room && !room.isPublic) {
      this.setState({ rooms: this.state.rooms.filter((r) => r.id !== roomId) });
    } else {
      this.patchRoom(roomId, (r) => ({ ...r, membership: null, memberCount: Math.max(0, r.memberCount - 1) }));
    }
    this.dropRoom(roomId);
    return { ok: true, data: null };
  }

  /** Tells the server the user has seen `seq` in this room (throttled, never backwards). */
  markRead(roomId: string, seq: number): void {
    const room = this.findRoom(roomId);
    if (!room?.membership || seq <= room.membership.lastReadSeq) return;
    this.patchRoom(roomId, (r) => (r.membership ? { ...r, membership: { ...r.membership, lastReadSeq: seq } } : r));
    const mark = this.readMarks.get(roomId) ?? { sentSeq: 0, wantedSeq: 0, timer: null, lastSentAt: 0 };
    this.readMarks.set(roomId, mark);
    mark.wantedSeq = Math.max(mark.wantedSeq, seq);
    if (mark.timer) return;
    const wait = Math.max(0, mark.lastSentAt + READ_THROTTLE_MS - Date.now());
    mark.timer = setTimeout(() => {
      mark.timer = null;
      if (mark.wantedSeq <= mark.sentSeq) return;
      const target = mark.wantedSeq;
      mark.sentSeq = target;
      mark.lastSentAt = Date.now();
      void this.request("room:read", { roomId, seq: target }).then((result) => {
        if (!result.ok) mark.sentSeq = Math.min(mark.sentSeq, target - 1);
      });
    }, wait);
  }

  // ---------------------------------------------------------------- timelines

  private room(roomId: string): RoomData {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = {
        id: roomId,
        byId: new Map(),
        bySeq: new Map(),
        status: "idle",
        error: null,
        oldestSeq: 1,
        tipSeq: 0,
        hasMoreBefore: false,
        loadingOlder: false,
        changeCursor: 0,
        syncing: false,
        syncAgain: false,
        syncRun: 0,
      };
      this.rooms.set(roomId, room);
    }
    return room;
  }

  private dropRoom(roomId: string): void {
    if (!this.rooms.delete(roomId)) return;
    const timelines = { ...this.state.timelines };
    delete timelines[roomId];
    this.setState({ timelines });
  }

  /** Makes sure the room's latest messages are loaded (call when the room is shown). */
  openRoom(roomId: string): void {
    if (!this.isMember(roomId)) return;
    const room = this.room(roomId);
    if (room.status === "idle" || (room.status === "error" && this.socket.connected)) void this.loadHistory(roomId);
  }

  private async loadHistory(roomId: string): Promise<void> {
    const room = this.room(roomId);
    room.status = "loading";
    room.error = null;
    this.publish(room);
    if (!this.socket.connected) return; // retried by afterConnect
    // Every change up to the room's known lastChange happened before this read.
    const knownChange = this.findRoom(roomId)?.lastChange ?? 0;
    const result = await this.request("room:history", { roomId, limit: HISTORY_PAGE });
    if (this.rooms.get(roomId) !== room) return;
    if (!result.ok) {
      room.status = "error";
      room.error = result.error;
      this.publish(room);
      return;
    }
    const { messages, hasMore } = result.data;
    const first = messages[0];
    room.hasMoreBefore = hasMore && first !== undefined;
    room.oldestSeq = room.hasMoreBefore && first ? first.seq : 1;
    // Live messages that arrived while loading may sit below the window: drop them.
    for (const [id, m] of room.byId) {
      if (m.seq < room.oldestSeq) {
        room.byId.delete(id);
        room.bySeq.delete(m.seq);
      }
    }
    room.tipSeq = room.oldestSeq - 1;
    room.changeCursor = Math.max(room.changeCursor, knownChange, ...messages.map((m) => m.change));
    room.status = "ready";
    this.merge(room, messages);
    const lastSeq = this.findRoom(roomId)?.lastSeq ?? 0;
    if (lastSeq > room.tipSeq || this.maxSeqHeld(room) > room.tipSeq) void this.syncRoom(roomId);
  }

  async loadOlder(roomId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (!room || room.status !== "ready" || !room.hasMoreBefore || room.loadingOlder) return;
    room.loadingOlder = true;
    this.publish(room);
    const result = await this.request("room:history", { roomId, beforeSeq: room.oldestSeq, limit: HISTORY_PAGE });
    if (this.rooms.get(roomId) !== room) return;
    room.loadingOlder = false;
    if (result.ok) {
      const first = result.data.messages[0];
      room.hasMoreBefore = result.data.hasMore && first !== undefined;
      room.oldestSeq = room.hasMoreBefore && first ? first.seq : 1;
      this.merge(room, result.data.messages);
    }
    this.publish(room);
  }

  private maxSeqHeld(room: RoomData): number {
    let max = 0;
    for (const seq of room.bySeq.keys()) if (seq > max) max = seq;
    return max;
  }

  /** Catches the room up from the last contiguous seq it holds, page by page. */
  private async syncRoom(roomId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (!room || room.status !== "ready") return;
    if (room.syncing) {
      room.syncAgain = true;
      return;
    }
    const summary = this.findRoom(roomId);
    if (summary && summary.lastSeq - room.tipSeq > SYNC_RELOAD_THRESHOLD) {
      // Long absence: show the latest page (older ones load on scroll) instead of replaying everything.
      this.rooms.delete(roomId);
      const fresh = this.room(roomId);
      await this.loadHistory(fresh.id);
      return;
    }
    room.syncing = true;
    room.syncAgain = false;
    const run = ++room.syncRun;
    const current = () => this.rooms.get(roomId) === room && room.syncRun === run;
    let afterChange = room.changeCursor;
    let complete = false;
    try {
      for (let page = 0; page < 1_000; page++) {
        const result = await this.request("room:sync", {
          roomId,
          afterSeq: room.tipSeq,
          afterChange,
          limit: SYNC_PAGE,
        });
        if (!current()) return;
        if (!result.ok) {
          if (result.error.code === "forbidden" || result.error.code === "not_found") {
            this.patchRoom(roomId, (r) => ({ ...r, membership: null }));
            this.dropRoom(roomId);
          }
          return; // retried at the next connect or gap
        }
        const { messages, hasMore } = result.data;
        let maxSeq = 0;
        for (const m of messages) {
          if (m.change > afterChange) afterChange = m.change;
          if (m.seq > maxSeq) maxSeq = m.seq;
        }
        this.merge(room, messages);
        this.patchRoom(roomId, (r) => (maxSeq > r.lastSeq ? { ...r, lastSeq: maxSeq } : r));
        if (!hasMore) {
          complete = true;
          break;
        }
      }
    } finally {
      if (current()) {
        if (complete) room.changeCursor = Math.max(room.changeCursor, afterChange);
        room.syncing = false;
        if (room.syncAgain) {
          room.syncAgain = false;
          void this.syncRoom(roomId);
        }
      }
    }
  }

  private onMessageEvent(message: ChatMessage, created: boolean): void {
    const mine = message.author.id === this.me.id;
    this.patchRoom(message.roomId, (r) => {
      const lastSeq = Math.max(r.lastSeq, message.seq);
      const lastChange = Math.max(r.lastChange, message.change);
      let membership = r.membership;
      // Your own messages are never unread.
      if (mine && created && membership && membership.lastReadSeq < message.seq) {
        membership = { ...membership, lastReadSeq: message.seq };
      }
      if (lastSeq === r.lastSeq && lastChange === r.lastChange && membership === r.membership) return r;
      return { ...r, lastSeq, lastChange, membership };
    });
    const room = this.rooms.get(message.roomId);
    if (!room || room.status === "idle" || room.status === "error") return;
    if (room.status === "loading") {
      // Keep it; loadHistory reconciles the window when the page arrives.
      this.merge(room, [message]);
      return;
    }
    this.merge(room, [message]);
    if (created && message.seq > room.tipSeq + 1) void this.syncRoom(room.id);
  }

  /** Merges stored messages into a room: by id, newest change wins, never duplicated. */
  private merge(room: RoomData, messages: readonly ChatMessage[]): void {
    let changed = false;
    for (const m of messages) {
      if (m.roomId !== room.id) continue;
      if (room.status === "ready" && m.seq < room.oldestSeq) continue; // outside the loaded window
      const existing = room.byId.get(m.id);
      if (existing && existing.change >= m.change) {
        this.settleOutbox(m);
        continue;
      }
      room.byId.set(m.id, m);
      room.bySeq.set(m.seq, m.id);
      this.settleOutbox(m);
      changed = true;
    }
    if (room.status === "ready") {
      const before = room.tipSeq;
      while (room.bySeq.has(room.tipSeq + 1)) room.tipSeq += 1;
      if (room.tipSeq !== before) changed = true;
    }
    if (changed) this.publish(room);
  }

  /** A stored message of ours replaces its outbox entry. */
  private settleOutbox(m: ChatMessage): void {
    if (m.author.id !== this.me.id) return;
    const entry = this.outbox.get(m.clientId);
    if (!entry || entry.roomId !== m.roomId) return;
    if (entry.retryTimer) clearTimeout(entry.retryTimer);
    this.outbox.delete(m.clientId);
    const room = this.rooms.get(m.roomId);
    if (room && !room.byId.has(m.id)) this.publish(room);
  }

  private viewOf(m: ChatMessage): TimelineMessage {
    let view = this.views.get(m);
    if (!view) {
      view = {
        key: m.id,
        id: m.id,
        seq: m.seq,
        clientId: m.clientId,
        roomId: m.roomId,
        author: m.author,
        body: m.body,
        createdAt: m.createdAt,
        editedAt: m.editedAt,
        deletedAt: m.deletedAt,
        status: "sent",
        error: null,
      };
      this.views.set(m, view);
    }
    return view;
  }

  private outboxView(entry: OutboxEntry): TimelineMessage {
    const view = entry.view;
    if (view && view.status === entry.status && view.error === entry.error) return view;
    entry.view = {
      key: entry.clientId,
      id: null,
      seq: null,
      clientId: entry.clientId,
      roomId: entry.roomId,
      author: this.me,
      body: entry.body,
      createdAt: entry.createdAt,
      editedAt: null,
      deletedAt: null,
      status: entry.status,
      error: entry.error,
    };
    return entry.view;
  }

  /** Rebuilds a room's immutable snapshot for the UI. */
  private publish(room: RoomData): void {
    if (this.rooms.get(room.id) !== room) return;
    const stored = [...room.byId.values()].sort((a, b) => a.seq - b.seq);
    const items: TimelineMessage[] = stored.map((m) => this.viewOf(m));
    for (const entry of this.outbox.values()) {
      if (entry.roomId === room.id) items.push(this.outboxView(entry));
    }
    const timeline: RoomTimeline = {
      status: room.status,
      error: room.error,
      items,
      hasMoreBefore: room.hasMoreBefore,
      loadingOlder: room.loadingOlder,
      tipSeq: room.tipSeq,
    };
    this.setState({ timelines: { ...this.state.timelines, [room.id]: timeline } });
  }

  private publishRoom(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (room) this.publish(room);
  }

  // ---------------------------------------------------------------- sending

  /** Queues a message. Returns an error (and queues nothing) if the body is not sendable. */
  send(roomId: string, body: string): ErrorBody | null {
    if (body.trim().length === 0) return localError("invalid_payload", "Message is empty");
    if (body.length > MAX_BODY_LENGTH) {
      return localError("too_large", `Messages are at most ${MAX_BODY_LENGTH.toLocaleString("en-US")} characters`);
    }
    const entry: OutboxEntry = {
      clientId: newClientId(),
      roomId,
      body,
      createdAt: new Date().toISOString(),
      status: "pending",
      error: null,
      attempts: 0,
      inFlight: false,
      retryTimer: null,
      view: null,
    };
    this.outbox.set(entry.clientId, entry);
    this.publishRoom(roomId);
    void this.attemptSend(entry);
    return null;
  }

  private flushOutbox(): void {
    for (const entry of this.outbox.values()) {
      if (entry.status === "pending" && !entry.inFlight) {
        if (entry.retryTimer) clearTimeout(entry.retryTimer);
        entry.retryTimer = null;
        void this.attemptSend(entry);
      }
    }
  }

  private async attemptSend(entry: OutboxEntry): Promise<void> {
    if (entry.inFlight || !this.socket.connected) return; // flushed at the next connect
    entry.inFlight = true;
    entry.attempts += 1;
    const result = await this.request("message:send", {
      roomId: entry.roomId,
      clientId: entry.clientId,
      body: entry.body,
    });
    entry.inFlight = false;
    if (this.outbox.get(entry.clientId) !== entry) return; // settled by a broadcast or discarded
    if (result.ok) {
      const room = this.rooms.get(entry.roomId);
      if (room) this.merge(room, [result.data.message]);
      if (this.outbox.get(entry.clientId) === entry) {
        // The room isn't loaded here: nothing to show it in.
        this.outbox.delete(entry.clientId);
      }
      return;
    }
    const code = result.error.code;
    const retryable = code === "unavailable" || code === "rate_limited";
    if (retryable && entry.attempts < SEND_MAX_AUTO_ATTEMPTS) {
      // Same clientId: the server stores it at most once.
      const delay = withJitter(Math.min(1_000 * 2 ** (entry.attempts - 1), 15_000));
      entry.retryTimer = setTimeout(() => {
        entry.retryTimer = null;
        void this.attemptSend(entry);
      }, delay);
      return;
    }
    entry.status = "failed";
    entry.error = result.error;
    this.publishRoom(entry.roomId);
  }

  retry(clientId: string): void {
    const entry = this.outbox.get(clientId);
    if (!entry || entry.status !== "failed") return;
    entry.status = "pending";
    entry.error = null;
    entry.attempts = 0;
    this.publishRoom(entry.roomId);
    void this.attemptSend(entry);
  }

  discard(clientId: string): void {
    const entry = this.outbox.get(clientId);
    if (!entry) return;
    if (entry.retryTimer) clearTimeout(entry.retryTimer);
    this.outbox.delete(clientId);
    this.publishRoom(entry.roomId);
  }

  async editMessage(messageId: string, body: string): Promise<Result<ChatMessage>> {
    if (body.trim().length === 0) return { ok: false, error: localError("invalid_payload", "Message is empty") };
    if (body.length > MAX_BODY_LENGTH) return { ok: false, error: localError("too_large") };
    const result = await this.request("message:edit", { messageId, body });
    if (!result.ok) return result;
    const room = this.rooms.get(result.data.message.roomId);
    if (room) this.merge(room, [result.data.message]);
    return { ok: true, data: result.data.message };
  }

  async deleteMessage(messageId: string): Promise<Result<null>> {
    const result = await this.request("message:delete", { messageId });
    if (!result.ok) return result;
    // The tombstone arrives as message:deleted (and at the next sync).
    return { ok: true, data: null };
  }
}

export { EMPTY_TIMELINE };
