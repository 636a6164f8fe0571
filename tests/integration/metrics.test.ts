// GET /metrics on a real node process (embedded mode), after real traffic.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoomSummary } from "../../lib/contract";
import { socketFor } from "../support/clients";
import { startNode, type NodeProcess } from "../support/node-process";
import { call, ok, waitForConnect, type ClientSocket } from "../support/test-server";

/** The value of the sample of `name` carrying all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const line = text
    .split("\n")
    .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(" ").pop()) : undefined;
}

describe("metrics and logs of a real node", () => {
  let node: NodeProcess;
  let socket: ClientSocket;
  beforeAll(async () => {
    node = await startNode({ databaseUrl: undefined, env: { METRICS_TOKEN: "metrics-token-for-tests", LOG_LEVEL: "info" } });
  });
  afterAll(async () => {
    socket?.disconnect();
    await node?.stop("SIGTERM");
  });

  it("is protected by METRICS_TOKEN and exposes process metrics", async () => {
    const res = await fetch(`${node.url}/metrics`);
    expect(res.status).toBe(403); // a token is configured: required even from this machine
    const auth = { authorization: "Bearer metrics-token-for-tests" };
    const before = await (await fetch(`${node.url}/metrics`, { headers: auth })).text();
    expect(before).toContain("parley_sockets_connected");
    expect(before).toContain("parley_process_resident_memory_bytes");
    // Dropped: each scrape would list every open fd or handle (see server/observability/metrics.ts).
    expect(before).not.toMatch(/^parley_(process_open_fds|nodejs_active_handles|nodejs_active_resources)/m);
  });

  it("counts commands, acks by result code, ack latency and connected sockets", async () => {
    // A realtime-only node has no sign-up route; a token for a user with no rows
    // still connects (it belongs to no room), which is all these counters need.
    const auth = { authorization: "Bearer metrics-token-for-tests" };
    socket = socketFor(node.url, { id: `ghost-${randomUUID()}`, name: "Ghost" });
    await waitForConnect(socket);
    expect(await call(socket, "message:send", { roomId: "nope", clientId: randomUUID(), body: "x" })).toMatchObject({
      ok: false,
      error: { code: "not_found" },
    });
    expect(await call(socket, "message:send", { bad: true })).toMatchObject({ ok: false, error: { code: "invalid_payload" } });
    const { rooms } = await ok<{ rooms: RoomSummary[] }>(socket, "room:list", {});
    expect(rooms).toEqual([]);
    const text = await (await fetch(`${node.url}/metrics`, { headers: auth })).text();
    expect(sample(text, "parley_acks_total", { event: "message:send", code: "not_found" })).toBe(1);
    expect(sample(text, "parley_acks_total", { event: "message:send", code: "invalid_payload" })).toBe(1);
    expect(sample(text, "parley_acks_total", { event: "room:list", code: "ok" })).toBe(1);
    expect(sample(text, "parley_events_in_total", { event: "message:send" })).toBe(2);
    expect(sample(text, "parley_sockets_connected")).toBe(1);
    // Its own id and its user channel (no rooms: it is a member of none).
    expect(sample(text, "parley_socket_rooms_joined")).toBe(2);
    expect(sample(text, "parley_command_duration_seconds_count", { event: "message:send" })).toBe(2);
    expect(sample(text, "parley_redis_up")).toBe(-1);
    expect(text).toMatch(/node="[^"]+"/);
    // Its user came online (in no room, so nobody was told, but the change was announced).
    expect(sample(text, "parley_presence_changes_total", { status: "online" })).toBe(1);
    expect(sample(text, "parley_presence_changes_total", { status: "offline" })).toBeUndefined();
  });

  it("counts a user going offline once the grace period after their last connection is over", async () => {
    const auth = { authorization: "Bearer metrics-token-for-tests" };
    socket.disconnect();
    const deadline = Date.now() + 15_000;
    let offline: number | undefined;
    while (offline === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      offline = sample(await (await fetch(`${node.url}/metrics`, { headers: auth })).text(), "parley_presence_changes_total", { status: "offline" });
    }
    expect(offline).toBe(1);
  });

  it("writes structured JSON logs with the node id and no message bodies", async () => {
    const lines = node
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.node === node.nodeId)).toBe(true);
    expect(node.output()).not.toContain('"body":"x"');
  });
});
