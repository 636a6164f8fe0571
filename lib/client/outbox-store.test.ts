import { describe, expect, it, vi } from "vitest";
import { OutboxStore, parseEntry, type OutboxLocks, type OutboxStorage, type PersistedOutboxEntry } from "./outbox-store";

class MemoryStorage implements OutboxStorage {
  private readonly map = new Map<string, string>();
  get length() {
    return this.map.size;
  }
  key(i: number) {
    return [...this.map.keys()][i] ?? null;
  }
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
}

/** Exclusive locks with FIFO queues, like navigator.locks for one origin. */
class FakeLocks implements OutboxLocks {
  private readonly held = new Set<string>();
  private readonly queues = new Map<string, Array<() => void>>();
  async request<T>(name: string, callback: () => Promise<T> | T): Promise<T> {
    if (this.held.has(name)) {
      await new Promise<void>((resolve) => {
        const queue = this.queues.get(name) ?? [];
        queue.push(resolve);
        this.queues.set(name, queue);
      });
    } else {
      this.held.add(name);
    }
    try {
      return await callback();
    } finally {
      const next = this.queues.get(name)?.shift();
      if (next) next();
      else this.held.delete(name);
    }
  }
  async query() {
    return { held: [...this.held].map((name) => ({ name })) };
  }
}

function entry(clientId: string, order: number, owner: string | null, userId = "u1"): PersistedOutboxEntry {
  return {
    clientId,
    roomId: "r1",
    body: `body ${clientId}`,
    createdAt: new Date(order).toISOString(),
    author: { id: userId, name: "Una" },
    status: "pending",
    error: null,
    order,
    owner,
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("OutboxStore", () => {
  it("keeps each account's entries apart and lists them in send order", () => {
    const storage = new MemoryStorage();
    const una = new OutboxStore({ userId: "u1", tabId: "t1", storage, locks: null });
    const otto = new OutboxStore({ userId: "u2", tabId: "t2", storage, locks: null });
    una.put(entry("c-0000002", 2, "t1"));
    una.put(entry("c-0000001", 1, "t1"));
    otto.put(entry("c-0000003", 3, "t2", "u2"));
    expect(una.list().map((e) => e.clientId)).toEqual(["c-0000001", "c-0000002"]);
    expect(otto.list().map((e) => e.clientId)).toEqual(["c-0000003"]);
    una.remove("c-0000001");
    expect(una.list().map((e) => e.clientId)).toEqual(["c-0000002"]);
  });

  it("never resends an entry stored under one account but written by another, or malformed", () => {
    const storage = new MemoryStorage();
    const una = new OutboxStore({ userId: "u1", tabId: "t1", storage, locks: null });
    storage.setItem(`${una.prefix}c-0000009`, JSON.stringify(entry("c-0000009", 9, null, "u2")));
    storage.setItem(`${una.prefix}c-0000008`, "{not json");
    expect(una.list()).toEqual([]);
    expect(storage.length).toBe(0);
    expect(parseEntry(JSON.stringify({ ...entry("c1", 1, null), status: "sent" }), "u1")).toBeNull();
  });

  it("without Web Locks, adopts every entry the tab does not hold", async () => {
    const storage = new MemoryStorage();
    const store = new OutboxStore({ userId: "u1", tabId: "t2", storage, locks: null });
    store.put(entry("c-0000001", 1, "t1"));
    store.put(entry("c-0000002", 2, "t1"));
    const adopted = await store.adopt((id) => id === "c-0000002");
    expect(adopted.map((e) => [e.clientId, e.owner])).toEqual([["c-0000001", "t2"]]);
  });

  it("adopts a closed tab's entries, not a live tab's, and hears when a live one closes", async () => {
    const storage = new MemoryStorage();
    const locks = new FakeLocks();
    const first = new OutboxStore({ userId: "u1", tabId: "t1", storage, locks });
    await first.hold();
    first.put(entry("c-0000001", 1, "t1"));
    storage.setItem(`${first.prefix}c-0000002`, JSON.stringify(entry("c-0000002", 2, "gone")));

    const onOrphans = vi.fn();
    const second = new OutboxStore({ userId: "u1", tabId: "t2", storage, locks, onOrphans });
    const adopted = await second.adopt(() => false);
    // "gone" holds no lock: its entry is an orphan. t1 is alive: its entry stays with it.
    expect(adopted.map((e) => e.clientId)).toEqual(["c-0000002"]);
    expect(second.list().find((e) => e.clientId === "c-0000002")?.owner).toBe("t2");

    first.release(); // the first tab closes
    await flush();
    expect(onOrphans).toHaveBeenCalledTimes(1);
    const later = await second.adopt((id) => id === "c-0000002");
    expect(later.map((e) => [e.clientId, e.owner])).toEqual([["c-0000001", "t2"]]);
  });

  it("lets one tab adopt each orphan when two look at once", async () => {
    const storage = new MemoryStorage();
    const locks = new FakeLocks();
    storage.setItem("parley:outbox:v1:u1:c-0000001", JSON.stringify(entry("c-0000001", 1, "gone")));
    const a = new OutboxStore({ userId: "u1", tabId: "ta", storage, locks });
    const b = new OutboxStore({ userId: "u1", tabId: "tb", storage, locks });
    const [fromA, fromB] = await Promise.all([a.adopt(() => false), b.adopt(() => false)]);
    expect(fromA.length + fromB.length).toBe(1);
  });

  it("reports another tab's removals and ignores other accounts' keys", () => {
    const changes: Array<[string, PersistedOutboxEntry | null]> = [];
    const store = new OutboxStore({
      userId: "u1",
      tabId: "t1",
      storage: new MemoryStorage(),
      locks: null,
      onExternalChange: (id, e) => changes.push([id, e]),
    });
    expect(store.handleStorageEvent("parley:outbox:v1:u2:c-0000001", null)).toBe(false);
    expect(store.handleStorageEvent("parley:outbox:v1:u1:c-0000001", null)).toBe(true);
    expect(changes).toEqual([["c-0000001", null]]);
  });
});
