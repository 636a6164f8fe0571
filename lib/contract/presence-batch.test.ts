import { describe, expect, it } from "vitest";
import type { PresenceChanged } from "./events";
import { fromPresenceBatch, toPresenceBatch, type PresenceUpdate } from "./presence-batch";

const byUser = (updates: PresenceUpdate[]) => [...updates].sort((a, b) => a.userId.localeCompare(b.userId));

describe("presence batches", () => {
  const changes: PresenceChanged[] = [
    { userId: "u1", name: "Ann", status: "online", lastSeenAt: null },
    { userId: "u2", name: "Ben", status: "away", lastSeenAt: null },
    { userId: "u3", name: "Cy", status: "offline", lastSeenAt: "2026-11-22T10:00:00.000Z" },
    { userId: "u4", name: "Di", status: "online", lastSeenAt: null },
  ];

  it("packs user ids by status, with last seen for those gone offline, and no names", () => {
    expect(toPresenceBatch(changes)).toEqual({
      online: ["u1", "u4"],
      away: ["u2"],
      offline: { u3: "2026-11-22T10:00:00.000Z" },
    });
  });

  it("unpacks to the same updates (the names aside)", () => {
    const roundTrip = fromPresenceBatch(JSON.parse(JSON.stringify(toPresenceBatch(changes))));
    expect(byUser(roundTrip)).toEqual(byUser(changes.map(({ name: _name, ...update }) => update)));
  });

  it("is a third of the bytes of the same changes as objects", () => {
    const many = Array.from({ length: 1_000 }, (_, i) => ({
      userId: `cmi${String(i).padStart(22, "0")}`,
      name: `bench-user-${i}`,
      status: "online" as const,
      lastSeenAt: null,
    }));
    const packed = JSON.stringify(toPresenceBatch(many)).length;
    const asObjects = JSON.stringify({ changes: many }).length;
    expect(packed / asObjects).toBeLessThan(0.35);
  });
});
