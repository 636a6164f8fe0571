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

  it("sends a connect storm to one room as one packet per window, not one per arrival", () => {
    const sent: { roomIds: string[]; changes: PresenceChanged[] }[] = [];
    const batcher = createPresenceBatcher((roomIds, changes) => sent.push({ roomIds, changes }), 250);
    for (let i = 0; i < 100; i++) batcher.add(["r1"], change(`u${i}`));
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(250);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.changes).toHaveLength(100);
  });

  it("keeps audiences apart and lets the latest change of a user win", () => {
    const sent: { roomIds: string[]; changes: PresenceChanged[] }[] = [];
    const batcher = createPresenceBatcher((roomIds, changes) => sent.push({ roomIds, changes }), 250);
    batcher.add(["r1", "r2"], change("a"));
    batcher.add(["r2", "r1"], change("a", "away")); // same audience, any order
    batcher.add(["r3"], change("b"));
    batcher.flush();
    expect(sent).toEqual([
      { roomIds: ["r1", "r2"], changes: [change("a", "away")] },
      { roomIds: ["r3"], changes: [change("b")] },
    ]);
    batcher.add([], change("c")); // nobody to tell
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(2);
  });
});
