// The browser's persistent outbox: messages not yet acknowledged by the server,
// kept in localStorage so they survive a reload, a crash or a closed tab, and
// are resent (same clientId) by the next tab of the same user.
//
// Layout: one key per message, `parley:outbox:v1:<userId>:<clientId>`. One key
// per entry (instead of one array) means two tabs writing at once never lose
// each other's entries, and the user id in the key means an account never sees
// another account's messages on a shared browser.
//
// Ownership: each tab holds a Web Lock named after its tab id for its whole
// life and stamps the entries it sends with that id. An entry whose owner's
// lock is no longer held belongs to a closed tab: another tab adopts it (under
// an exclusive per-user lock, so one tab adopts each) and resends it. Tabs wait
// on the owners' locks, so they learn of a closed tab the moment it closes.
// Without Web Locks (non-secure origins) every tab adopts every entry it does
// not hold; the server stores each clientId once, and the entry disappears from
// every tab as soon as one of them is acknowledged.
import type { ErrorBody, UserRef } from "@/lib/contract";

export interface PersistedOutboxEntry {
  clientId: string;
  roomId: string;
  body: string;
  /** ISO time the user sent it. */
  createdAt: string;
  author: UserRef;
  status: "pending" | "failed";
  error: ErrorBody | null;
  /** Send order (a user's messages go out in this order, per room). */
  order: number;
  /** The tab that sends it (null: nobody, adopt it). */
  owner: string | null;
}

/** What we need of `Storage` (localStorage), replaceable in tests. */
export type OutboxStorage = Pick<Storage, "getItem" | "setItem" | "removeItem" | "key" | "length">;

/** What we need of `navigator.locks`, replaceable in tests. */
export interface OutboxLocks {
  request<T>(name: string, callback: () => Promise<T> | T): Promise<T>;
  query(): Promise<{ held?: Array<{ name?: string }> }>;
}

export interface OutboxStoreOptions {
  userId: string;
  tabId: string;
  storage: OutboxStorage | null;
  locks: OutboxLocks | null;
  /** Another tab changed or removed an entry (null: removed). */
  onExternalChange?: (clientId: string, entry: PersistedOutboxEntry | null) => void;
  /** A tab that owned entries closed: call `adopt()` again. */
  onOrphans?: () => void;
}

const VERSION = "v1";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** Parses a stored entry; null when it is not one of ours (or is malformed). */
export function parseEntry(raw: string | null, userId: string): PersistedOutboxEntry | null {
  if (!raw) return null;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isObject(v)) return null;
  const { clientId, roomId, body, createdAt, author, status, error, order, owner } = v;
  if (typeof clientId !== "string" || typeof roomId !== "string" || typeof body !== "string") return null;
  if (typeof createdAt !== "string" || Number.isNaN(Date.parse(createdAt))) return null;
  if (!isObject(author) || author.id !== userId || typeof author.name !== "string") return null;
  if (status !== "pending" && status !== "failed") return null;
  if (typeof order !== "number" || !Number.isFinite(order)) return null;
  if (owner !== null && typeof owner !== "string") return null;
  let parsedError: ErrorBody | null = null;
  if (isObject(error) && typeof error.code === "string" && typeof error.message === "string") {
    parsedError = { code: error.code as ErrorBody["code"], message: error.message };
  }
  return {
    clientId,
    roomId,
    body,
    createdAt,
    author: { id: userId, name: author.name },
    status,
    error: status === "failed" ? parsedError : null,
    order,
    owner,
  };
}

export function byOrder(a: { order: number; clientId: string }, b: { order: number; clientId: string }): number {
  return a.order - b.order || (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0);
}

export class OutboxStore {
  readonly prefix: string;
  private readonly options: OutboxStoreOptions;
  private releaseTab: (() => void) | null = null;
  private tabHeld: Promise<void> | null = null;
  private readonly watched = new Set<string>();
  private disposed = false;

  constructor(options: OutboxStoreOptions) {
    this.options = options;
    this.prefix = `parley:outbox:${VERSION}:${options.userId}:`;
  }

  get tabId(): string {
    return this.options.tabId;
  }

  private get storage(): OutboxStorage | null {
    return this.options.storage;
  }

  /** Every entry of this user, in send order. */
  list(): PersistedOutboxEntry[] {
    const storage = this.storage;
    if (!storage) return [];
    const entries: PersistedOutboxEntry[] = [];
    try {
      const keys: string[] = [];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (key?.startsWith(this.prefix)) keys.push(key);
      }
      for (const key of keys) {
        const entry = parseEntry(storage.getItem(key), this.options.userId);
        if (entry && key === this.prefix + entry.clientId) entries.push(entry);
        else storage.removeItem(key); // malformed or foreign: never resend it
      }
    } catch {
      // Storage disabled or unreadable: nothing persisted.
    }
    return entries.sort(byOrder);
  }

  put(entry: PersistedOutboxEntry): void {
    try {
      this.storage?.setItem(this.prefix + entry.clientId, JSON.stringify(entry));
    } catch {
      // Quota exceeded or storage disabled: the message stays in memory only.
    }
  }

  remove(clientId: string): void {
    try {
      this.storage?.removeItem(this.prefix + clientId);
    } catch {
      // ignore
    }
  }

  /** Feeds a `storage` event; returns true when it was about this user's outbox. */
  handleStorageEvent(key: string | null, newValue: string | null): boolean {
    if (key === null) {
      // localStorage.clear() in another tab: everything is gone.
      return false;
    }
    if (!key.startsWith(this.prefix)) return false;
    const clientId = key.slice(this.prefix.length);
    const entry = newValue === null ? null : parseEntry(newValue, this.options.userId);
    if (entry && entry.owner && entry.owner !== this.tabId) this.watchOwner(entry.owner);
    this.options.onExternalChange?.(clientId, entry);
    return true;
  }

  /** Holds this tab's lock until `release()` (resolves once held). */
  hold(): Promise<void> {
    const locks = this.options.locks;
    if (!locks) return Promise.resolve();
    if (this.tabHeld) return this.tabHeld;
    this.disposed = false;
    this.tabHeld = new Promise<void>((held) => {
      locks
        .request(tabLockName(this.tabId), () => {
          held();
          return new Promise<void>((release) => {
            this.releaseTab = release;
          });
        })
        .catch(() => held());
    });
    return this.tabHeld;
  }

  /** Releases this tab's lock: other tabs adopt what it still owns. */
  release(): void {
    this.disposed = true;
    this.releaseTab?.();
    this.releaseTab = null;
    this.tabHeld = null;
    this.watched.clear();
  }

  /**
   * Takes over the entries nobody sends (their tab closed), except those
   * `isHeld` says this tab already has. Returns them, now owned by this tab.
   */
  async adopt(isHeld: (clientId: string) => boolean): Promise<PersistedOutboxEntry[]> {
    if (!this.storage) return [];
    const locks = this.options.locks;
    if (!locks) {
      return this.list()
        .filter((e) => !isHeld(e.clientId))
        .map((e) => {
          const mine = { ...e, owner: this.tabId };
          this.put(mine);
          return mine;
        });
    }
    await this.hold();
    try {
      return await locks.request(`parley:outbox:${this.options.userId}`, async () => {
        const held = await locks.query();
        const live = new Set((held.held ?? []).map((l) => l.name));
        const adopted: PersistedOutboxEntry[] = [];
        for (const entry of this.list()) {
          if (isHeld(entry.clientId)) continue;
          if (entry.owner && entry.owner !== this.tabId && live.has(tabLockName(entry.owner))) {
            this.watchOwner(entry.owner);
            continue;
          }
          const mine = { ...entry, owner: this.tabId };
          this.put(mine);
          adopted.push(mine);
        }
        return adopted;
      });
    } catch {
      return [];
    }
  }

  /** Waits for another tab's lock: granted when that tab closes, and then its entries are orphans. */
  private watchOwner(owner: string): void {
    const locks = this.options.locks;
    if (!locks || owner === this.tabId || this.watched.has(owner) || this.disposed) return;
    this.watched.add(owner);
    locks
      .request(tabLockName(owner), () => undefined)
      .then(
        () => {
          this.watched.delete(owner);
          if (!this.disposed) this.options.onOrphans?.();
        },
        () => this.watched.delete(owner),
      );
  }
}

function tabLockName(tabId: string): string {
  return `parley:tab:${tabId}`;
}

/** The browser's localStorage and Web Locks, when available. */
export function browserOutboxDeps(): { storage: OutboxStorage | null; locks: OutboxLocks | null } {
  if (typeof window === "undefined") return { storage: null, locks: null };
  let storage: OutboxStorage | null = null;
  try {
    storage = window.localStorage;
  } catch {
    storage = null;
  }
  const locks = typeof navigator !== "undefined" && "locks" in navigator && navigator.locks ? (navigator.locks as unknown as OutboxLocks) : null;
  return { storage, locks };
}
