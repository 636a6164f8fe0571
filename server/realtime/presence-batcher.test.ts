import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PresenceChanged } from "../../lib/contract";
import { createPresenceBatcher, presenceWindowMs } from "./presence.handlers";

const change = (userId: string, status: PresenceChanged["status"] = "online"): PresenceChanged => ({
  userId,
  name: userId,
  status,
  lastSeenAt: null,
});

describe("presence batcher", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends a lone change at once, and a connect storm to one room as one more packet per window", () => {
    const sent: { roomIds: string[]; changes: PresenceChanged[] }[] = [];
    const batcher = createPresenceBatcher((roomIds, changes) => sent.push({ roomIds, changes }), 1_000);
    batcher.add(["r1"], change("first"));
    expect(sent).toEqual([{ roomIds: ["r1"], changes: [change("first")] }]);
    for (let i = 0; i < 100; i++) batcher.add(["r1"], change(`u${i}`));
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.changes).toHaveLength(100);
    // Still throttled for the window after a held batch went out...
    batcher.add(["r1"], change("late"));
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1_000);
    expect(sent[2]?.changes).toEqual([change("late")]);
    // ...and quiet again once a window passed with nothing held.
    vi.advanceTimersByTime(1_000);
    batcher.add(["r1"], change("fresh"));
    expect(sent[3]?.changes).toEqual([change("fresh")]);
  });

  it("throttles each room on its own and lets the latest held change of a user win", () => {
    const sent: { roomIds: string[]; changes: PresenceChanged[] }[] = [];
    const batcher = createPresenceBatcher((roomIds, changes) => sent.push({ roomIds, changes }), 1_000);
    batcher.add(["r1", "r2"], change("a")); // both quiet: one broadcast to both
    batcher.add(["r2", "r1"], change("a", "away")); // both throttled: held for each
    batcher.add(["r2", "r1"], change("a", "online")); // replaces the held "away"
    batcher.add(["r3"], change("b")); // another room: not throttled by the first two
    expect(sent).toEqual([
      { roomIds: ["r1", "r2"], changes: [change("a")] },
      { roomIds: ["r3"], changes: [change("b")] },
    ]);
    batcher.flush();
    expect(sent.slice(2)).toEqual([
      { roomIds: ["r1"], changes: [change("a", "online")] },
      { roomIds: ["r2"], changes: [change("a", "online")] },
    ]);
    batcher.add([], change("c")); // nobody to tell
    vi.advanceTimersByTime(5_000);
    expect(sent).toHaveLength(4);
  });

  it("gives a room shared by every arrival one packet per window, whatever else the arrivals are in", () => {
    // Ten team rooms and one #general that everybody is in: every arrival has
    // its own set of rooms, but #general must still hear one batch, not one packet each.
    const sent: { roomIds: string[]; changes: PresenceChanged[] }[] = [];
    const batcher = createPresenceBatcher((roomIds, changes) => sent.push({ roomIds, changes }), 1_000);
    for (let i = 0; i < 100; i++) batcher.add([`team${i % 10}`, "general"], change(`u${i}`));
    const toGeneral = () => sent.filter((p) => p.roomIds.includes("general"));
    // The first arrival to both; the first of each other team to its team only.
    expect(toGeneral()).toHaveLength(1);
    expect(sent).toHaveLength(10);
    vi.advanceTimersByTime(1_000);
    expect(toGeneral()).toHaveLength(2);
    expect(toGeneral()[1]?.changes).toHaveLength(99);
    // Each team room: its first arrival at once, its other nine in one batch.
    const team3 = sent.filter((p) => p.roomIds.includes("team3"));
    expect(team3.map((p) => p.changes.length)).toEqual([1, 9]);
    expect(sent).toHaveLength(21); // 10 first arrivals, then one batch per team and one for #general
  });
});

describe("presence windows", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("grow with the room: 1 s up to 250 sockets, 4 s at 1,000, never over 10 s", () => {
    expect([0, 1, 250, 251, 1_000, 2_500, 50_000].map(presenceWindowMs)).toEqual([1_000, 1_000, 1_000, 1_004, 4_000, 10_000, 10_000]);
  });

  it("hold a big room's changes for its own window while a small room's go out after one second", () => {
    const sent: { roomIds: string[]; changes: PresenceChanged[] }[] = [];
    const sockets: Record<string, number> = { big: 1_000, small: 10 };
    const batcher = createPresenceBatcher(
      (roomIds, changes) => sent.push({ roomIds, changes }),
      (roomId) => presenceWindowMs(sockets[roomId] ?? 0),
    );
    batcher.add(["big", "small"], change("first")); // one broadcast to both
    for (let i = 0; i < 50; i++) batcher.add(["big", "small"], change(`u${i}`));
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(sent.map((p) => [p.roomIds, p.changes.length])).toEqual([
      [["big", "small"], 1],
      [["small"], 50],
    ]);
    vi.advanceTimersByTime(2_999);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sent[2]).toMatchObject({ roomIds: ["big"] });
    expect(sent[2]?.changes).toHaveLength(50);
  });
});
