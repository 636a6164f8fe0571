import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PresenceChanged } from "../../lib/contract";
import { createPresenceBatcher } from "./presence.handlers";

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

  it("keeps audiences apart and lets the latest held change of a user win", () => {
    const sent: { roomIds: string[]; changes: PresenceChanged[] }[] = [];
    const batcher = createPresenceBatcher((roomIds, changes) => sent.push({ roomIds, changes }), 1_000);
    batcher.add(["r1", "r2"], change("a"));
    batcher.add(["r2", "r1"], change("a", "away")); // same audience, any order: held
    batcher.add(["r2", "r1"], change("a", "online")); // replaces the held "away"
    batcher.add(["r3"], change("b")); // another audience: not throttled by the first
    expect(sent).toEqual([
      { roomIds: ["r1", "r2"], changes: [change("a")] },
      { roomIds: ["r3"], changes: [change("b")] },
    ]);
    batcher.flush();
    expect(sent[2]).toEqual({ roomIds: ["r2", "r1"], changes: [change("a", "online")] });
    batcher.add([], change("c")); // nobody to tell
    vi.advanceTimersByTime(5_000);
    expect(sent).toHaveLength(3);
  });
});
