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
//   so the server stores each message once whatever happens to acks; the outbox
//   is persisted (outbox-store.ts) so a reload or a closed tab loses nothing, and
//   one send per room is in flight at a time, so a user's messages keep their order.
//
// It also keeps presence (member lists per room, everyone's status, reporting
// this tab as away when hidden or idle), typing (sending throttled starts and
// stops, receiving others' with an expiry) and the moderation commands.
import { io, type Socket } from "socket.io-client";
import {
  ERROR_TEXT,
  fromPresenceBatch,
  MAX_BODY_LENGTH,
  MEMBER_SEARCH_MAX_LENGTH,
  MEMBERS_PAGE_MAX,
  MEMBERS_SCROLL_PAGE,
  PRESENCE_WATCH_MAX,
  roomNameSchema,
  shouldWatchPresence,
  TYPING_RECEIVER_EXPIRE_MS,
  TYPING_THROTTLE_MS,
  type Ack,
  type AckResult,
  type ChatMessage,
  type ClientToServerEvents,
  type DisconnectNotice,
  type ErrorBody,
  type ErrorCode,
  type PresenceStatus,
  type PresenceUpdate,
  type RoomRole,
  type RoomSummary,
  type ServerToClientEvents,
  type UserRef,
} from "@/lib/contract";
import { browserOutboxDeps, byOrder, OutboxStore, type OutboxLocks, type OutboxStorage, type PersistedOutboxEntry } from "./outbox-store";
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

/**
 * Whether a member's name matches a member search: contains it, ignoring
 * case, as the server's `room:members` search does. For what the browser
 * filters itself: a whole list, and joiners during a server-side search.
 */
export function memberNameMatches(name: string, search: string): boolean {
  return !search || name.toLocaleLowerCase().includes(search.toLocaleLowerCase());
}

/** A member of a room as the member list shows them; their status is in `ChatState.presence`. */
export interface MemberEntry {
  id: string;
  name: string;
  role: RoomRole;
}

export interface RoomMembersState {
  /** "loading": the first page or the next one is on its way. */
  status: "loading" | "ready" | "error";
  error: ErrorBody | null;
  /** In no particular order (the UI sorts). Kept while reloading. */
  list: readonly MemberEntry[];
  /**
   * A big room's list, loaded a page at a time by name (loadMoreMembers) and
   * shown in name order: in such a room statuses are live only for the rows
   * on screen (watchesPresenceIn), so grouping by status would mislead. A
   * room's list comes whole, and is grouped online first, below that size.
   */
  paged: boolean;
  /** Where the next page starts (the server's cursor); null once every member is loaded. */
  next: string | null;
  /** A paged list can be searched (searchMembers): "" or the part of a name its members have. */
  search: string;
}

export interface PresenceEntry {
  status: PresenceStatus;
  /** When they were last connected (ISO), for offline users; null if unknown. */
  lastSeenAt: string | null;
}

export interface TypingUser {
  userId: string;
  name: string;
}

/** What this tab's handshake sends: the token, and `presence: "away"` when the tab is hidden or idle. */
export interface HandshakeAuth {
  token: string;
  presence?: "away";
}

export interface ChatState {
  me: UserRef;
  /** The account is an admin (moderates every room). */
  isAdmin: boolean;
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
  /** Member lists of the rooms opened in this tab. */
  members: Readonly<Record<string, RoomMembersState>>;
  /** Everyone's status, by user id: from member lists and `presence:changed`. */
  presence: Readonly<Record<string, PresenceEntry>>;
  /** Who is typing, per room (never the user themselves), oldest first. */
  typing: Readonly<Record<string, readonly TypingUser[]>>;
  /** Muted members per room: user id -> until when (ISO), as announced while this tab was open. */
  memberMutes: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Members online or away per big room, as the server last counted them (refreshOnlineCount). */
  onlineCounts: Readonly<Record<string, number>>;
}

export function initialChatState(me: UserRef, isAdmin = false): ChatState {
  return {
    me,
    isAdmin,
    connection: "connecting",
    connectionDetail: null,
    roomsStatus: "loading",
    roomsError: null,
    rooms: [],
    timelines: {},
    removals: {},
    mutedUntil: {},
    members: {},
    presence: {},
    typing: {},
    memberMutes: {},
    onlineCounts: {},
  };
}

export interface RoomRemoval {
  reason: "kicked" | "banned";
  by: UserRef;
}

export type Result<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

export interface ChatClientOptions {
  me: UserRef;
  /** The session's account role; admins moderate every room. */
  role?: "USER" | "ADMIN";
  /** Called once when the session is gone (token endpoint answered 401, or the server said so). */
  onSignedOut: (reason: "signed_out" | "banned") => void;
  /** The server's PRESENCE_ROOM_WIDE_MAX_MEMBERS (default: the contract's): from when to watch presence. */
  presenceRoomWideMaxMembers?: number;
  /** Replaceable for tests. */
  fetchToken?: () => Promise<SocketToken>;
  /** Replaceable for tests: must create the socket with `autoConnect: false` and the given auth function. */
  createSocket?: (auth: (cb: (data: HandshakeAuth) => void) => void) => ChatSocket;
  /** Replaceable for tests: where the outbox is persisted (default: localStorage and Web Locks; null: memory only). */
  outbox?: { storage: OutboxStorage | null; locks: OutboxLocks | null };
}

const REQUEST_TIMEOUT_MS = 10_000;
const HISTORY_PAGE = 50;
const SYNC_PAGE = 200;
/** Beyond this many missed messages, reload the latest page instead of replaying them all. */
const SYNC_RELOAD_THRESHOLD = 1_000;
/** Retries of a send the server answered `internal` (a bug) before it shows as failed. */
const SEND_MAX_INTERNAL_ATTEMPTS = 5;
const SEND_MAX_BACKOFF_MS = 30_000;
/** Report this tab as away after this long without input (it is away at once when hidden). */
const IDLE_AWAY_MS = 5 * 60_000;
const IDLE_CHECK_MS = 15_000;
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
  author: UserRef;
  /** Send order; see PersistedOutboxEntry. */
  order: number;
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

/** Input that counts as "the user is here" (the tab stops being idle). */
const ACTIVITY_EVENTS = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"] as const;

/** Send errors after which the same send is retried by itself (with backoff), until acknowledged. */
function retryableSend(code: ErrorCode, attempts: number): boolean {
  if (code === "unavailable" || code === "rate_limited" || code === "unauthorized") return true;
  return code === "internal" && attempts < SEND_MAX_INTERNAL_ATTEMPTS;
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

  /** Persists the outbox; entries this tab sends carry its tab id. */
  private readonly outboxStore: OutboxStore;
  /** Highest send order used or adopted, so new messages go after everything queued. */
  private lastOrder = 0;

  /** This tab is hidden or idle (what it wants the server to know). */
  private away = false;
  /** What the current connection last told the server (handshake or `presence:set`). */
  private reportedAway = false;
  /** What the handshake of the connection being made said. */
  private handshakeAway = false;
  private lastInputAt = Date.now();
  private idleTimer: ReturnType<typeof setInterval> | null = null;

  /** Typing this tab reported, per room. */
  private readonly typingOut = new Map<string, { lastStartAt: number; active: boolean }>();
  /** Expiry timers of others' typing states: roomId -> userId -> timer. */
  private readonly typingTimers = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();

  /** Counts presence events; per user, the count at their latest event (a stale member list must not undo it). */
  private presenceTick = 0;
  private readonly presenceTouched = new Map<string, number>();
  /** Membership events received while a room's member list was loading, replayed onto the answer. */
  private readonly membershipWhileLoading = new Map<string, Array<{ user: UserRef; joined: boolean }>>();
  private membersRun = 0;
  /** The load in progress per room, so a stale answer is ignored. */
  private readonly membersRuns = new Map<string, number>();
  /** Rooms whose member list is on screen now (showMembers), with how many views show it. */
  private readonly membersShown = new Map<string, number>();
  /** The members of a big room this tab shows (`presence:watch`), and what the server was last told. */
  private watching: { roomId: string; userIds: string[] } | null = null;
  private watchSent = "";
  /** A refused (`rate_limited`) watch is sent again once, shortly: one pending retry at a time. */
  private watchRetry: ReturnType<typeof setTimeout> | null = null;

  constructor(options: ChatClientOptions) {
    this.options = options;
    this.me = options.me;
    this.fetchToken = options.fetchToken ?? fetchSocketToken;
    this.state = initialChatState(options.me, options.role === "ADMIN");
    const deps = options.outbox ?? browserOutboxDeps();
    this.outboxStore = new OutboxStore({
      userId: options.me.id,
      tabId: newClientId(),
      storage: deps.storage,
      locks: deps.locks,
      onExternalChange: (clientId, entry) => this.onExternalOutboxChange(clientId, entry),
      onOrphans: () => void this.adoptOutbox(),
    });
    const auth = (cb: (data: HandshakeAuth) => void) => this.provideHandshakeToken(cb);
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
      window.addEventListener("storage", this.onStorage);
      window.addEventListener("focus", this.onActivity);
      document.addEventListener("visibilitychange", this.onVisibility);
      for (const type of ACTIVITY_EVENTS) document.addEventListener(type, this.onActivity, { capture: true, passive: true });
      this.lastInputAt = Date.now();
      this.away = this.computeAway();
      this.idleTimer = setInterval(() => this.updateAway(), IDLE_CHECK_MS);
    }
    void this.adoptOutbox();
    this.socket.connect();
    this.updateConnection();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this.onBrowserOnline);
      window.removeEventListener("offline", this.onBrowserOffline);
      window.removeEventListener("storage", this.onStorage);
      window.removeEventListener("focus", this.onActivity);
      document.removeEventListener("visibilitychange", this.onVisibility);
      for (const type of ACTIVITY_EVENTS) document.removeEventListener(type, this.onActivity, { capture: true });
    }
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    this.clearTimers();
    if (this.watchRetry) clearTimeout(this.watchRetry);
    this.watchRetry = null;
    this.socket.disconnect();
    // Another tab of this user may take over what is still unsent.
    this.outboxStore.release();
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

  private provideHandshakeToken(cb: (data: HandshakeAuth) => void): void {
    this.fetchToken().then(
      (token) => {
        this.token = token;
        // A hidden or idle tab that reconnects says so at once, instead of flashing online.
        this.handshakeAway = this.computeAway();
        cb(this.handshakeAway ? { token: token.token, presence: "away" } : { token: token.token });
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
      this.reportedAway = this.handshakeAway;
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
      // The server ends this connection's typing; others' stops may be missed meanwhile.
      this.typingOut.clear();
      this.clearTyping();
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

    socket.on("message:created", (m) => {
      // Whoever sent it has stopped typing it.
      this.setTyping(m.roomId, m.author.id, m.author.name, false);
      this.onMessageEvent(m, true);
    });
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
    socket.on("room:member-muted", (e) => this.onMemberMuted(e.roomId, e.user, e.mutedUntil));

    const onPresence = (e: PresenceUpdate) => {
      this.presenceTouched.set(e.userId, ++this.presenceTick);
      this.setPresence(e.userId, { status: e.status, lastSeenAt: e.status === "offline" ? e.lastSeenAt : null });
      if (e.status === "offline") this.clearTypingOf(e.userId);
    };
    socket.on("presence:changed", onPresence);
    socket.on("presence:batch", (batch) => fromPresenceBatch(batch).forEach(onPresence));
    socket.on("typing:changed", (e) => this.setTyping(e.roomId, e.userId, e.name, e.typing));
  }

  private async afterConnect(): Promise<void> {
    // The tab went hidden or idle (or came back) while the handshake was under way.
    if (this.away !== this.reportedAway) void this.reportPresence();
    // A new connection watches nothing yet.
    this.watchSent = "";
    if (this.watching) void this.sendWatch();
    this.flushOutbox();
    void this.adoptOutbox();
    await this.resyncAll();
  }

  /** Refreshes the room list (unread counts) and catches every held room up. */
  private async resyncAll(): Promise<void> {
    await this.loadRooms();
    if (!this.socket.connected) return;
    // Presence and membership events may have been missed: reload the member list on
    // screen and forget the others, which load again when their room is shown. Reloading
    // every list this tab had shown cost one room:members per room visited at every
    // reconnect. A big room's list starts again from its first page (MEMBERS_SCROLL_PAGE
    // rows): a node restart under a room of 10,000 viewers costs 10,000 small pages,
    // not 10,000 whole lists (1.2 MB and 150-190 ms of server time each).
    for (const roomId of Object.keys(this.state.members)) {
      if (!this.isMember(roomId)) this.dropMembers(roomId);
      else if (this.membersShown.has(roomId)) void this.loadMembers(roomId);
      else this.forgetMemberList(roomId);
    }
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
    if (isMe && !joined) {
      this.dropRoom(roomId);
      return;
    }
    if (!joined) {
      this.setTyping(roomId, user.id, user.name, false);
      this.onMemberMuted(roomId, user, null);
    }
    const loading = this.membershipWhileLoading.get(roomId);
    if (loading) loading.push({ user, joined });
    this.applyMembership(roomId, user, joined);
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

  // ---------------------------------------------------------------- presence and members

  private setPresence(userId: string, entry: PresenceEntry): void {
    const current = this.state.presence[userId];
    if (current && current.status === entry.status && current.lastSeenAt === entry.lastSeenAt) return;
    this.setState({ presence: { ...this.state.presence, [userId]: entry } });
  }

  private setMembers(roomId: string, members: RoomMembersState): void {
    this.setState({ members: { ...this.state.members, [roomId]: members } });
  }

  /** Whether a room this big gets presence only by watching (shouldWatchPresence with the server's limit). */
  watchesPresenceIn(memberCount: number): boolean {
    return shouldWatchPresence(memberCount, this.options.presenceRoomWideMaxMembers);
  }

  /**
   * The members of a big room (see watchesPresenceIn) whose rows are on
   * screen: in such a room the server sends presence changes only for watched
   * members. `[]` stops. Kept across reconnects.
   */
  watchPresence(roomId: string, userIds: string[]): void {
    if (userIds.length === 0 && this.watching?.roomId !== roomId) return; // not ours to stop
    this.watching = userIds.length > 0 ? { roomId, userIds: userIds.slice(0, PRESENCE_WATCH_MAX) } : null;
    void this.sendWatch(roomId);
  }

  private async sendWatch(stoppingRoomId?: string): Promise<void> {
    const want = this.watching ?? { roomId: stoppingRoomId ?? "", userIds: [] };
    const key = `${want.roomId}:${want.userIds.join(",")}`;
    if (!want.roomId || key === this.watchSent || !this.socket.connected) return;
    this.watchSent = key;
    const since = this.presenceTick;
    const result = await this.request("presence:watch", want);
    if (!result.ok) {
      if (this.watchSent === key) this.watchSent = ""; // the next call (or reconnect) tries again
      // Refused for going too fast: try again shortly, with whatever is wanted by then.
      if (result.error.code === "rate_limited" && !this.watchRetry) {
        this.watchRetry = setTimeout(() => {
          this.watchRetry = null;
          void this.sendWatch(stoppingRoomId);
        }, 1_000);
      }
      return;
    }
    for (const { userId, status } of result.data.statuses) {
      // An event that arrived after the request is newer than the answer.
      if ((this.presenceTouched.get(userId) ?? 0) > since) continue;
      // "Last seen" is not in the answer: keep what the member list or an event said.
      const lastSeenAt = status === "offline" ? (this.state.presence[userId]?.lastSeenAt ?? null) : null;
      this.setPresence(userId, { status, lastSeenAt });
    }
  }

  /**
   * Says that a view shows the room's members (call from an effect; the returned
   * function says it stopped): after a reconnect only the lists on screen are reloaded.
   */
  showMembers(roomId: string): () => void {
    this.membersShown.set(roomId, (this.membersShown.get(roomId) ?? 0) + 1);
    return () => {
      const views = (this.membersShown.get(roomId) ?? 1) - 1;
      if (views > 0) this.membersShown.set(roomId, views);
      else this.membersShown.delete(roomId);
    };
  }

  /** Loads the room's member list (call when the room is shown); events keep it current afterwards. */
  openMembers(roomId: string): void {
    if (!this.isMember(roomId) || !this.socket.connected) return;
    const current = this.state.members[roomId];
    if (current && current.status !== "error") return;
    void this.loadMembers(roomId);
  }

  /**
   * Asks how many of a room's members are online or away (call while a big
   * room is shown, every ONLINE_COUNT_REFRESH_MS): there the tab hears only the
   * members it watches, so it cannot count them itself. Up to ONLINE_COUNT_TTL_MS old.
   */
  async refreshOnlineCount(roomId: string): Promise<void> {
    if (!this.isMember(roomId)) return;
    const result = await this.request("room:online", { roomId });
    if (result.ok) this.setState({ onlineCounts: { ...this.state.onlineCounts, [roomId]: result.data.online } });
  }

  /** Loads the next page of a big room's member list (call when the end of the list is shown); no-op when all are loaded. */
  loadMoreMembers(roomId: string): void {
    const current = this.state.members[roomId];
    if (!current?.next || current.status === "loading" || !this.socket.connected) return;
    void this.loadMembers(roomId, { after: current.next });
  }

  /**
   * Shows only the members of a paged list whose name contains `text`
   * (ignoring case), from the first page; "" shows everyone again. The server
   * searches: the list holds a few pages of a room of thousands.
   */
  searchMembers(roomId: string, text: string): void {
    const current = this.state.members[roomId];
    const search = text.trim().slice(0, MEMBER_SEARCH_MAX_LENGTH);
    if (!current?.paged || search === current.search) return;
    void this.loadMembers(roomId, { search });
  }

  /**
   * The first page (replacing the list; after a reconnect too), or the page
   * from `after` (appended); of the list's current search unless `search` is given.
   */
  private async loadMembers(roomId: string, which: { after?: string; search?: string } = {}): Promise<void> {
    const { after } = which;
    const run = ++this.membersRun;
    this.membersRuns.set(roomId, run);
    const previous = this.state.members[roomId];
    const paged = after !== undefined || previous?.paged === true || this.watchesPresenceIn(this.findRoom(roomId)?.memberCount ?? 0);
    const search = which.search ?? previous?.search ?? "";
    // A new search: the list shown meanwhile is the old one's, and so is its cursor (never to be followed).
    const stale = after === undefined && (previous?.search ?? "") !== search;
    this.setMembers(roomId, { status: "loading", error: null, list: previous?.list ?? [], paged, next: stale ? null : (previous?.next ?? null), search });
    this.membershipWhileLoading.set(roomId, []);
    const since = this.presenceTick;
    const limit = paged ? MEMBERS_SCROLL_PAGE : MEMBERS_PAGE_MAX;
    const result = await this.request("room:members", {
      roomId,
      limit,
      ...(after === undefined ? {} : { after }),
      ...(search ? { search } : {}),
    });
    if (this.membersRuns.get(roomId) !== run) return; // dropped, or a newer load runs
    this.membersRuns.delete(roomId);
    const replay = this.membershipWhileLoading.get(roomId) ?? [];
    this.membershipWhileLoading.delete(roomId);
    const current = this.state.members[roomId];
    if (!current) return;
    if (!result.ok) {
      this.setMembers(roomId, { ...current, status: "error", error: result.error, ...(stale ? { list: [] } : {}) });
      return;
    }
    const presence = { ...this.state.presence };
    for (const m of result.data.members) {
      // A presence event that arrived after the request is newer than the answer.
      if ((this.presenceTouched.get(m.id) ?? 0) > since) continue;
      presence[m.id] = { status: m.status, lastSeenAt: m.status === "offline" ? m.lastSeenAt : null };
    }
    const page = result.data.members.map((m) => ({ id: m.id, name: m.name, role: m.role }));
    let list: MemberEntry[] = page;
    if (after !== undefined) {
      // Someone who joined while the list was open may already be in it.
      const have = new Set(current.list.map((m) => m.id));
      list = [...current.list, ...page.filter((m) => !have.has(m.id))];
    }
    const { next } = result.data;
    // A room that grew past one page since its count was read is paged from now on.
    const members: RoomMembersState = { status: "ready", error: null, list, paged: paged || next !== null, next, search };
    this.setState({ presence, members: { ...this.state.members, [roomId]: members } });
    // Mutes that began before this tab opened the room.
    for (const m of result.data.members) if (m.mutedUntil) this.onMemberMuted(roomId, { id: m.id, name: m.name }, m.mutedUntil);
    for (const event of replay) this.applyMembership(roomId, event.user, event.joined, false);
  }

  private applyMembership(roomId: string, user: UserRef, joined: boolean, live = true): void {
    const current = this.state.members[roomId];
    if (!current) return;
    const has = current.list.some((m) => m.id === user.id);
    if (joined) {
      if (!has && memberNameMatches(user.name, current.search)) this.setMembers(roomId, { ...current, list: [...current.list, { id: user.id, name: user.name, role: "MEMBER" }] });
      // Joining takes a connection: the joiner is online now.
      const known = this.state.presence[user.id];
      if (live && (!known || known.status === "offline")) {
        this.presenceTouched.set(user.id, ++this.presenceTick);
        this.setPresence(user.id, { status: "online", lastSeenAt: null });
      }
    } else if (has) {
      this.setMembers(roomId, { ...current, list: current.list.filter((m) => m.id !== user.id) });
    }
  }

  /** Drops a room's member list only (it loads again when the room is shown). */
  private forgetMemberList(roomId: string): void {
    this.membersRuns.delete(roomId);
    this.membershipWhileLoading.delete(roomId);
    if (!(roomId in this.state.members)) return;
    const members = { ...this.state.members };
    delete members[roomId];
    this.setState({ members });
  }

  /** Forgets a room's member list, typing and mutes (the user left it or was removed). */
  private dropMembers(roomId: string): void {
    this.membersRuns.delete(roomId);
    this.membershipWhileLoading.delete(roomId);
    const timers = this.typingTimers.get(roomId);
    if (timers) for (const timer of timers.values()) clearTimeout(timer);
    this.typingTimers.delete(roomId);
    const { members, typing, memberMutes } = this.state;
    if (!(roomId in members) && !(roomId in typing) && !(roomId in memberMutes)) return;
    const nextMembers = { ...members };
    const nextTyping = { ...typing };
    const nextMutes = { ...memberMutes };
    delete nextMembers[roomId];
    delete nextTyping[roomId];
    delete nextMutes[roomId];
    this.setState({ members: nextMembers, typing: nextTyping, memberMutes: nextMutes });
  }

  private onMemberMuted(roomId: string, user: UserRef, until: string | null): void {
    const active = until !== null && Date.parse(until) > Date.now();
    if (user.id === this.me.id) {
      const mutedUntil = { ...this.state.mutedUntil };
      if (active) mutedUntil[roomId] = until;
      else delete mutedUntil[roomId];
      this.setState({ mutedUntil });
    }
    const roomMutes = this.state.memberMutes[roomId] ?? {};
    if (active ? roomMutes[user.id] === until : !(user.id in roomMutes)) return;
    const next = { ...roomMutes };
    if (active) next[user.id] = until;
    else delete next[user.id];
    this.setState({ memberMutes: { ...this.state.memberMutes, [roomId]: next } });
  }

  // ---------------------------------------------------------------- away

  private computeAway(): boolean {
    if (typeof document === "undefined") return false;
    return document.visibilityState === "hidden" || Date.now() - this.lastInputAt >= IDLE_AWAY_MS;
  }

  private onVisibility = (): void => {
    // Coming back to the tab is using it.
    if (document.visibilityState === "visible") this.lastInputAt = Date.now();
    this.updateAway();
  };

  private onActivity = (): void => {
    this.lastInputAt = Date.now();
    if (this.away) this.updateAway();
  };

  private updateAway(): void {
    const away = this.computeAway();
    if (away === this.away) return;
    this.away = away;
    void this.reportPresence();
  }

  /** Tells the server whether this connection is away (`presence:set`); the next connect retries a failure. */
  private async reportPresence(): Promise<void> {
    if (!this.socket.connected || this.away === this.reportedAway) return;
    const away = this.away;
    this.reportedAway = away;
    const result = await this.request("presence:set", { status: away ? "away" : "online" });
    if (!result.ok) {
      if (this.reportedAway === away) this.reportedAway = !away;
      return;
    }
    this.presenceTouched.set(this.me.id, ++this.presenceTick);
    this.setPresence(this.me.id, { status: result.data.status, lastSeenAt: null });
    // It changed again while the answer was on its way.
    if (this.away !== this.reportedAway) void this.reportPresence();
  }

  // ---------------------------------------------------------------- typing

  /**
   * The composer's text changed: while there is text, tell the room the user is
   * typing (at most once per TYPING_THROTTLE_MS); when it is cleared, stop.
   */
  typingInput(roomId: string, hasText: boolean): void {
    if (!hasText) return this.stopTyping(roomId);
    if (!this.socket.connected) return; // never queued for later: stale by then
    const now = Date.now();
    const current = this.typingOut.get(roomId);
    if (current?.active && now - current.lastStartAt < TYPING_THROTTLE_MS) return;
    this.typingOut.set(roomId, { lastStartAt: now, active: true });
    this.socket.emit("typing:start", { roomId });
  }

  /** The user sent, cleared the composer or left it: stop showing them as typing. */
  stopTyping(roomId: string): void {
    const current = this.typingOut.get(roomId);
    if (!current?.active) return;
    this.typingOut.delete(roomId);
    if (this.socket.connected) this.socket.emit("typing:stop", { roomId });
  }

  private setTyping(roomId: string, userId: string, name: string, typing: boolean): void {
    if (userId === this.me.id) return;
    let timers = this.typingTimers.get(roomId);
    const timer = timers?.get(userId);
    if (timer) clearTimeout(timer);
    const list = this.state.typing[roomId] ?? [];
    const present = list.some((t) => t.userId === userId);
    if (typing) {
      if (!timers) {
        timers = new Map();
        this.typingTimers.set(roomId, timers);
      }
      // The typist's stop may never come (their server died): expire it here too.
      timers.set(
        userId,
        setTimeout(() => this.setTyping(roomId, userId, name, false), TYPING_RECEIVER_EXPIRE_MS),
      );
      if (!present) this.setState({ typing: { ...this.state.typing, [roomId]: [...list, { userId, name }] } });
      return;
    }
    timers?.delete(userId);
    if (!present) return;
    const next = list.filter((t) => t.userId !== userId);
    const all = { ...this.state.typing };
    if (next.length > 0) all[roomId] = next;
    else delete all[roomId];
    this.setState({ typing: all });
  }

  private clearTypingOf(userId: string): void {
    for (const roomId of Object.keys(this.state.typing)) this.setTyping(roomId, userId, "", false);
  }

  private clearTyping(): void {
    for (const timers of this.typingTimers.values()) for (const timer of timers.values()) clearTimeout(timer);
    this.typingTimers.clear();
    if (Object.keys(this.state.typing).length > 0) this.setState({ typing: {} });
  }

  // ---------------------------------------------------------------- moderation

  /** Removes a member from the room (they may join a public room again). */
  async kickMember(roomId: string, userId: string): Promise<Result<null>> {
    const result = await this.request("room:kick", { roomId, userId });
    return result.ok ? { ok: true, data: null } : result;
  }

  /** Removes a member and keeps them out until unbanned. */
  async banMember(roomId: string, userId: string, reason?: string): Promise<Result<null>> {
    const result = await this.request("room:ban", reason ? { roomId, userId, reason } : { roomId, userId });
    return result.ok ? { ok: true, data: null } : result;
  }

  /** Mutes a member for `minutes` (0 lifts it). Resolves with when the mute ends (ISO), or null. */
  async muteMember(roomId: string, userId: string, minutes: number): Promise<Result<string | null>> {
    const result = await this.request("room:mute", { roomId, userId, minutes });
    if (!result.ok) return result;
    const name = this.state.members[roomId]?.list.find((m) => m.id === userId)?.name ?? "";
    this.onMemberMuted(roomId, { id: userId, name }, result.data.mutedUntil);
    return { ok: true, data: result.data.mutedUntil };
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
    this.dropMembers(roomId);
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
    // merge() publishes only what changed: an empty room (or one holding only our
    // outbox) must still leave "loading".
    this.publish(room);
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
    if (!room || room.status === "idle" || room.status === "error") {
      // Not shown here, but it may still be in this tab's outbox (sent, ack lost).
      this.settleOutbox(message);
      return;
    }
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
    this.removeEntry(entry);
    const room = this.rooms.get(m.roomId);
    if (room && !room.byId.has(m.id)) this.publish(room);
    // The next one of this room may go now.
    if (!entry.inFlight) this.pump(m.roomId);
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
      author: entry.author,
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
    const storedClientIds = new Set(stored.filter((m) => m.author.id === this.me.id).map((m) => m.clientId));
    // One row per clientId: an entry whose message is already held is settled, not shown twice.
    for (const entry of this.roomOutbox(room.id)) {
      if (!storedClientIds.has(entry.clientId)) items.push(this.outboxView(entry));
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
    this.lastOrder = Math.max(this.lastOrder + 1, Date.now());
    const entry: OutboxEntry = {
      clientId: newClientId(),
      roomId,
      body,
      createdAt: new Date().toISOString(),
      author: this.me,
      order: this.lastOrder,
      status: "pending",
      error: null,
      attempts: 0,
      inFlight: false,
      retryTimer: null,
      view: null,
    };
    this.outbox.set(entry.clientId, entry);
    // Stored before anything goes on the wire: a reload or a closed tab from here on loses nothing.
    this.persist(entry);
    this.stopTyping(roomId);
    this.publishRoom(roomId);
    this.pump(roomId);
    return null;
  }

  /** This room's outbox, in send order. */
  private roomOutbox(roomId: string): OutboxEntry[] {
    const entries: OutboxEntry[] = [];
    for (const entry of this.outbox.values()) if (entry.roomId === roomId) entries.push(entry);
    return entries.sort(byOrder);
  }

  private persist(entry: OutboxEntry): void {
    const persisted: PersistedOutboxEntry = {
      clientId: entry.clientId,
      roomId: entry.roomId,
      body: entry.body,
      createdAt: entry.createdAt,
      author: entry.author,
      status: entry.status,
      error: entry.error,
      order: entry.order,
      owner: this.outboxStore.tabId,
    };
    this.outboxStore.put(persisted);
  }

  /** Acknowledged, stored, or discarded: gone from memory and from storage. */
  private removeEntry(entry: OutboxEntry): void {
    if (entry.retryTimer) clearTimeout(entry.retryTimer);
    entry.retryTimer = null;
    if (this.outbox.get(entry.clientId) === entry) this.outbox.delete(entry.clientId);
    this.outboxStore.remove(entry.clientId);
  }

  /**
   * Sends the room's oldest pending message, unless one is already on its way
   * or waiting for its retry: one in flight per room keeps the user's order.
   */
  private pump(roomId: string): void {
    if (!this.socket.connected) return; // flushed at the next connect
    let head: OutboxEntry | null = null;
    for (const entry of this.outbox.values()) {
      if (entry.roomId !== roomId || entry.status !== "pending") continue;
      if (entry.inFlight) return;
      if (!head || byOrder(entry, head) < 0) head = entry;
    }
    if (!head || head.retryTimer) return;
    void this.attemptSend(head);
  }

  /** (Re)connected: send every room's queue now, without waiting for backoff timers. */
  private flushOutbox(): void {
    const rooms = new Set<string>();
    for (const entry of this.outbox.values()) {
      if (entry.status !== "pending" || entry.inFlight) continue;
      if (entry.retryTimer) clearTimeout(entry.retryTimer);
      entry.retryTimer = null;
      rooms.add(entry.roomId);
    }
    for (const roomId of rooms) this.pump(roomId);
  }

  private async attemptSend(entry: OutboxEntry): Promise<void> {
    if (entry.inFlight || !this.socket.connected) return;
    entry.inFlight = true;
    entry.attempts += 1;
    const result = await this.request("message:send", {
      roomId: entry.roomId,
      clientId: entry.clientId,
      body: entry.body,
    });
    entry.inFlight = false;
    if (this.outbox.get(entry.clientId) !== entry) {
      // Settled by a broadcast, discarded, or sent by another tab meanwhile.
      this.pump(entry.roomId);
      return;
    }
    if (result.ok) {
      const room = this.rooms.get(entry.roomId);
      if (room && room.status !== "idle" && room.status !== "error") this.merge(room, [result.data.message]);
      // Not merged (the room isn't loaded here): nothing to show it in.
      if (this.outbox.get(entry.clientId) === entry) this.removeEntry(entry);
      this.pump(entry.roomId);
      return;
    }
    const code = result.error.code;
    if (retryableSend(code, entry.attempts)) {
      // Same clientId: the server stores it at most once, however many times it arrives.
      const base = code === "rate_limited" ? 2_000 : 1_000;
      const delay = withJitter(Math.min(base * 2 ** Math.min(entry.attempts - 1, 10), SEND_MAX_BACKOFF_MS));
      entry.retryTimer = setTimeout(() => {
        entry.retryTimer = null;
        this.pump(entry.roomId);
      }, delay);
      return;
    }
    // Refused for good (forbidden, too_large, muted, ...): the user decides.
    entry.status = "failed";
    entry.error = result.error;
    this.persist(entry);
    this.publishRoom(entry.roomId);
    this.pump(entry.roomId);
  }

  retry(clientId: string): void {
    const entry = this.outbox.get(clientId);
    if (!entry || entry.status !== "failed") return;
    entry.status = "pending";
    entry.error = null;
    entry.attempts = 0;
    this.persist(entry);
    this.publishRoom(entry.roomId);
    this.pump(entry.roomId);
  }

  discard(clientId: string): void {
    const entry = this.outbox.get(clientId);
    if (!entry) return;
    this.removeEntry(entry);
    this.publishRoom(entry.roomId);
    this.pump(entry.roomId);
  }

  /**
   * Takes over the persisted messages no open tab is sending (this tab's
   * previous life, a closed tab) and sends them, in order, as pending.
   */
  private async adoptOutbox(): Promise<void> {
    const adopted = await this.outboxStore.adopt((clientId) => this.outbox.has(clientId));
    if (adopted.length === 0) return;
    const rooms = new Set<string>();
    for (const p of adopted) {
      if (this.outbox.has(p.clientId)) continue;
      const entry: OutboxEntry = {
        clientId: p.clientId,
        roomId: p.roomId,
        body: p.body,
        createdAt: p.createdAt,
        author: this.me,
        order: p.order,
        status: p.status,
        error: p.error,
        attempts: 0,
        inFlight: false,
        retryTimer: null,
        view: null,
      };
      this.lastOrder = Math.max(this.lastOrder, p.order);
      // Already stored (its ack was lost) and held here: settled, not shown twice.
      const room = this.rooms.get(p.roomId);
      const stored = room ? [...room.byId.values()].some((m) => m.clientId === p.clientId && m.author.id === this.me.id) : false;
      if (stored) {
        this.outboxStore.remove(p.clientId);
        continue;
      }
      this.outbox.set(p.clientId, entry);
      rooms.add(p.roomId);
    }
    for (const roomId of rooms) {
      this.publishRoom(roomId);
      this.pump(roomId);
    }
  }

  private onStorage = (event: StorageEvent): void => {
    if (event.storageArea !== null && typeof window !== "undefined" && event.storageArea !== window.localStorage) return;
    this.outboxStore.handleStorageEvent(event.key, event.newValue);
  };

  /** Another tab removed an entry this tab holds: it was delivered or discarded there. */
  private onExternalOutboxChange(clientId: string, entry: PersistedOutboxEntry | null): void {
    if (entry !== null) return;
    const mine = this.outbox.get(clientId);
    if (!mine || mine.inFlight) return;
    if (mine.retryTimer) clearTimeout(mine.retryTimer);
    mine.retryTimer = null;
    this.outbox.delete(clientId);
    this.publishRoom(mine.roomId);
    this.pump(mine.roomId);
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
