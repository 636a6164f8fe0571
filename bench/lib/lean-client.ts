// A Socket.IO client for the load generator that costs the generator as little
// as a client can: Engine.IO 4 / Socket.IO 5 text packets straight over one
// `ws` WebSocket, every event's JSON parsed, nothing else. The load generator
// shares the machine's two cores with the servers it measures, and holding
// 10,000 socket.io-client sockets (a Manager, an Engine.IO socket, timers and
// emitters each) cost it ~29 µs of CPU per delivery where this costs ~13-17 µs
// (measured on the tenth VM): the difference was taken from the servers.
//
// What it speaks (https://socket.io/docs/v4/socket-io-protocol/), all text:
//   engine: "0{open}" from the server, "2" ping -> "3" pong, "1" close,
//           "4<socket.io packet>" a message;
//   socket: "0{auth}" connect -> "0{sid}" or "4{message,data}" refused,
//           "2[event,arg]" / "2<id>[event,arg]" an event (with an ack id),
//           "3<id>[result]" an ack, "1" disconnect.
// No binary packets (Parley's contract has none), no namespaces but "/", no
// reconnection, WebSocket only: what the bench's socket.io-client options were.
import WebSocket from "ws";

type Listener = (arg: never) => void;

/** How a refused or failed connect is reported: the message socket.io-client would give. */
export class LeanConnectError extends Error {}

export class LeanSocket {
  connected = false;
  private ws: WebSocket | undefined;
  private readonly listeners = new Map<string, Listener[]>();
  private readonly acks = new Map<number, (result: never) => void>();
  private nextAckId = 0;

  constructor(
    private readonly url: string,
    private readonly auth: unknown,
  ) {}

  on(event: string, listener: Listener): this {
    const list = this.listeners.get(event);
    if (list) list.push(listener);
    else this.listeners.set(event, [listener]);
    return this;
  }

  removeAllListeners(): this {
    this.listeners.clear();
    return this;
  }

  /** Opens the WebSocket and sends the Socket.IO connect packet; resolves when the server accepts it. */
  connect(timeoutMs: number): Promise<void> {
    // A connect replaces any earlier connection of this client.
    this.ws?.terminate();
    this.connected = false;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${this.url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
      this.ws = ws;
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          ws.terminate();
          reject(err);
        } else {
          resolve();
        }
      };
      const timer = setTimeout(() => settle(new LeanConnectError("connect timeout")), timeoutMs);
      ws.on("error", (err) => settle(new LeanConnectError(err.message)));
      ws.on("close", () => {
        // A closed socket of an earlier connect (the replay reconnects the same client) changes nothing.
        if (this.ws === ws) this.connected = false;
        settle(new LeanConnectError("websocket closed"));
      });
      ws.on("message", (data: Buffer) => {
        const packet = data.toString();
        switch (packet.charCodeAt(0)) {
          case 50: // "2": ping
            ws.send("3");
            return;
          case 48: // "0": open; the Socket.IO connect packet carries the handshake's auth
            ws.send(`40${JSON.stringify(this.auth)}`);
            return;
          case 52: // "4": a Socket.IO packet
            this.onPacket(packet, settle);
            return;
        }
      });
    });
  }

  private onPacket(packet: string, settle: (err?: Error) => void): void {
    switch (packet.charCodeAt(1)) {
      case 50: // "2": an event
        this.onEvent(packet);
        return;
      case 51: // "3": an ack
        this.onAck(packet);
        return;
      case 48: // "0": connected
        this.connected = true;
        settle();
        return;
      case 52: // "4": refused, {message, data}
        settle(new LeanConnectError((JSON.parse(packet.slice(2)) as { message?: string }).message ?? "connect refused"));
        return;
      case 49: // "1": disconnected by the server
        this.connected = false;
        this.ws?.close();
        return;
    }
  }

  private onEvent(packet: string): void {
    // An ack id (digits) may sit between the type and the JSON array; the server never asks the bench for one.
    const start = packet.indexOf("[", 2);
    const [event, arg] = JSON.parse(packet.slice(start)) as [string, never];
    const list = this.listeners.get(event);
    if (list) for (const listener of list) listener(arg);
  }

  private onAck(packet: string): void {
    const start = packet.indexOf("[", 2);
    const id = Number(packet.slice(2, start));
    const ack = this.acks.get(id);
    if (!ack) return;
    this.acks.delete(id);
    ack((JSON.parse(packet.slice(start)) as [never])[0]);
  }

  emit(event: string, arg: unknown, ack?: (result: never) => void): void {
    if (!this.ws || !this.connected) return; // socket.io-client buffers instead; the bench only emits on connected sockets
    if (!ack) {
      this.ws.send(`42${JSON.stringify([event, arg])}`);
      return;
    }
    const id = this.nextAckId++;
    this.acks.set(id, ack);
    this.ws.send(`42${id}${JSON.stringify([event, arg])}`);
  }

  /** Like socket.io-client's `socket.timeout(ms).emitWithAck(...)`. */
  emitWithAck<T>(event: string, arg: unknown, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${event}: no answer in ${timeoutMs} ms`)), timeoutMs);
      this.emit(event, arg, (result: T) => {
        clearTimeout(timer);
        resolve(result);
      });
    });
  }

  disconnect(): void {
    if (this.ws && this.connected) this.ws.send("41");
    this.connected = false;
    this.acks.clear();
    this.ws?.close();
    this.ws = undefined;
  }
}
