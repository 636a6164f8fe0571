import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createTokenBucket } from "./token-bucket";
import { createTypingTracker, DEFAULT_TYPING_TIMINGS, TYPING_RATE_LIMIT } from "./typing.service";

const ann = { id: "u-ann", name: "Ann" };
const ben = { id: "u-ben", name: "Ben" };

describe("typing tracker", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const tracker = () => {
    const expired: string[] = [];
    const t = createTypingTracker({ onExpired: (roomId, user) => expired.push(`${roomId}:${user.name}`) });
    return { t, expired };
  };

  it("ends a typing state 5 s after the last refresh, and only then", async () => {
    const { t, expired } = tracker();
    expect(DEFAULT_TYPING_TIMINGS.expireMs).toBe(5_000);
    expect(t.start("r1", ann, "s1")).toBe(true);
    await vi.advanceTimersByTimeAsync(4_000);
    t.start("r1", ann, "s1"); // refresh
    await vi.advanceTimersByTimeAsync(4_999);
    expect(expired).toEqual([]);
    expect(t.isTyping("r1", ann.id)).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual(["r1:Ann"]);
    expect(t.isTyping("r1", ann.id)).toBe(false);
  });

  it("re-broadcasts a refresh at most every 2 s, so receivers keep it alive without a flood", async () => {
    const { t } = tracker();
    expect(t.start("r1", ann, "s1")).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.start("r1", ann, "s1")).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.start("r1", ann, "s1")).toBe(true);
    // Another room, another user: independent.
    expect(t.start("r2", ann, "s1")).toBe(true);
    expect(t.start("r1", ben, "s2")).toBe(true);
  });

  it("stop ends it at once and cancels the expiry", async () => {
    const { t, expired } = tracker();
    t.start("r1", ann, "s1");
    expect(t.stop("r1", ann.id)).toEqual(ann);
    expect(t.stop("r1", ann.id)).toBeNull(); // nothing to end: nothing to tell
    await vi.advanceTimersByTimeAsync(10_000);
    expect(expired).toEqual([]);
  });

  it("a closing socket ends the states it kept alive, not others", async () => {
    const { t, expired } = tracker();
    t.start("r1", ann, "s1");
    t.start("r2", ann, "s1");
    t.start("r1", ben, "s2");
    expect(t.dropSource("s1")).toEqual([
      { roomId: "r1", user: ann },
      { roomId: "r2", user: ann },
    ]);
    expect(t.isTyping("r1", ben.id)).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(expired).toEqual(["r1:Ben"]);
  });
});

describe("token bucket", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("allows a burst, then the refill rate, and drops the rest", () => {
    const bucket = createTokenBucket(TYPING_RATE_LIMIT);
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (bucket.take()) allowed++;
    expect(allowed).toBe(TYPING_RATE_LIMIT.capacity);
    vi.advanceTimersByTime(1_000);
    allowed = 0;
    for (let i = 0; i < 100; i++) if (bucket.take()) allowed++;
    expect(allowed).toBe(TYPING_RATE_LIMIT.refillPerSecond);
  });
});
