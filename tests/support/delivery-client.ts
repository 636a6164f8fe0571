// A reference client for the delivery tests and the soak: the same rules the
// browser client follows, without the UI.
//   - every send has a clientId and stays in the outbox until acked; the outbox
//     is resent, in order, with the same clientIds after every reconnect and
//     after `unavailable`;
//   - received messages are kept by seq; on every (re)connect, on a seq gap and
//     on `sync:required`, the room is synced from the last seq held;
//   - listeners are registered once, at creation.
import { randomUUID } from "node:crypto";
import type { AckResult, ChatMessage, Page } from "../../lib/contract";
import type { ClientSocket } from "./test-server";

interface Outgoing {
  roomId: string;
  clientId: string;
  body: string;
  inFlight: boolean;
}

export class DeliveryClient {
  /** Messages held per room, by seq. */
  readonly rooms = new Map<string, Map<number, ChatMessage>>();
  readonly outbox: Outgoing[] = [];
  /** clientIds acknowledged by the server (a receipt: stored). */
  readonly acked = new Map<string, ChatMessage>();
  /** Sends the server refused for good (not retryable), with the code. */
  readonly rejected: { clientId: string; code: string }[] = [];
  /** How many times an event or a sync page handed us a message we already held. */
  redundant = 0;
  reconnects = 0;
  lastDisconnectAt = 0;
  readonly reconnectTimesMs: number[] = [];
  private syncing = new Set<string>();
  private resyncAgain = new Set<string>();

  constructor(
    readonly socket: ClientSocket,
    roomIds: string[],
    private readonly ackTimeoutMs = 5_000,
  ) {
    for (const roomId of roomIds) this.rooms.set(roomId, new Map());
    socket.on("connect", () => {
      if (this.lastDisconnectAt) this.reconnectTimesMs.push(Date.now() - this.lastDisconnectAt);
      for (const roomId of this.rooms.keys()) void this.sync(roomId);
      this.flush();
    });
    socket.on("disconnect", () => {
      this.reconnects += 1;
      this.lastDisconnectAt = Date.now();
      for (const item of this.outbox) item.inFlight = false;
    });
    socket.on("message:created", (message) => this.receive(message));
    socket.on("sync:required", () => {
      for (const roomId of this.rooms.keys()) void this.sync(roomId);
    });
  }

  /** Queues a message; it is sent now if connected, else at the next connect. */
  send(roomId: string, body: string, clientId: string = randomUUID()): string {
    this.outbox.push({ roomId, clientId, body, inFlight: false });
    this.flush();
    return clientId;
  }

  get pending(): number {
    return this.outbox.length;
  }

  lastSeq(roomId: string): number {
    const held = this.rooms.get(roomId);
    if (!held) return 0;
    let seq = 0;
    while (held.has(seq + 1)) seq += 1;
    return seq;
  }

  /** The held messages of a room, ascending by seq. */
  timeline(roomId: string): ChatMessage[] {
    return [...(this.rooms.get(roomId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  private receive(message: ChatMessage): void {
    const held = this.rooms.get(message.roomId);
    if (!held) return;
    if (held.has(message.seq)) {
      this.redundant += 1;
      return;
    }
    held.set(message.seq, message);
    if (message.seq > this.lastSeq(message.roomId) + 1) void this.sync(message.roomId);
  }

  private flush(): void {
    if (!this.socket.connected) return;
    // One in flight per room keeps this author's messages in order.
    const inFlightRooms = new Set(this.outbox.filter((o) => o.inFlight).map((o) => o.roomId));
    for (const item of this.outbox) {
      if (item.inFlight || inFlightRooms.has(item.roomId)) continue;
      inFlightRooms.add(item.roomId);
      item.inFlight = true;
      this.socket
        .timeout(this.ackTimeoutMs)
        .emit("message:send", { roomId: item.roomId, clientId: item.clientId, body: item.body }, (err, result) =>
          this.onAck(item, err, result),
        );
    }
  }

  private onAck(item: Outgoing, err: Error | null, result: AckResult<{ message: ChatMessage }> | undefined): void {
    item.inFlight = false;
    if (!err && result?.ok) {
      this.acked.set(item.clientId, result.data.message);
      this.outbox.splice(this.outbox.indexOf(item), 1);
      this.receive(result.data.message);
    } else if (!err && result && !result.ok && !["unavailable", "rate_limited", "internal"].includes(result.error.code)) {
      this.rejected.push({ clientId: item.clientId, code: result.error.code });
      this.outbox.splice(this.outbox.indexOf(item), 1);
      return;
    }
    // Timeout or a retryable error: try again shortly with the same clientId.
    setTimeout(() => this.flush(), err || !result?.ok ? 200 : 0);
  }

  async sync(roomId: string): Promise<void> {
    if (this.syncing.has(roomId)) {
      this.resyncAgain.add(roomId);
      return;
    }
    this.syncing.add(roomId);
    try {
      for (;;) {
        if (!this.socket.connected) return;
        const result = await this.socket
          .timeout(10_000)
          .emitWithAck("room:sync", { roomId, afterSeq: this.lastSeq(roomId), limit: 500 })
          .catch(() => undefined);
        if (!result?.ok) return;
        const page: Page<ChatMessage> = result.data;
        for (const message of page.messages) this.receive(message);
        if (!page.hasMore) {
          if (!this.resyncAgain.delete(roomId)) return;
        }
      }
    } finally {
      this.syncing.delete(roomId);
    }
  }
}
