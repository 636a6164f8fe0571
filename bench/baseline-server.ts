// The baseline: a bare Socket.IO 4.8 broadcast server, the smallest thing that
// does what a chat needs from Socket.IO, with nothing else. It speaks the same
// event names and payload shapes as Parley so one load generator drives both:
//   - the handshake says which rooms to join (`auth: { rooms }`), no token;
//   - `message:send` builds a message object shaped like Parley's, broadcasts it
//     to the room (not back to the sender) and acks it. No database, no checks.
// Same server options as server/realtime/create-realtime.ts (ping, buffer size).
// Prints {"listening": port} like server/realtime-only.ts.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";

const http = createServer((req, res) => {
  res.writeHead(req.url === "/api/health" ? 200 : 404, { "content-type": "application/json" });
  res.end(JSON.stringify({ status: "ok" }));
});
const io = new Server(http, {
  serveClient: false,
  maxHttpBufferSize: 64 * 1024,
  pingInterval: 20_000,
  pingTimeout: 20_000,
});

const seqByRoom = new Map<string, number>();

io.on("connection", (socket) => {
  const auth = socket.handshake.auth as { rooms?: unknown; userId?: unknown; name?: unknown };
  const rooms = Array.isArray(auth.rooms) ? auth.rooms.filter((r): r is string => typeof r === "string") : [];
  const author = { id: String(auth.userId ?? socket.id), name: String(auth.name ?? "anon") };
  void socket.join(rooms.map((r) => `room:${r}`));

  socket.on("message:send", (payload: { roomId?: unknown; clientId?: unknown; body?: unknown }, ack?: (r: unknown) => void) => {
    const roomId = String(payload?.roomId ?? "");
    const seq = (seqByRoom.get(roomId) ?? 0) + 1;
    seqByRoom.set(roomId, seq);
    const message = {
      id: randomUUID(),
      roomId,
      seq,
      change: seq,
      clientId: String(payload?.clientId ?? ""),
      author,
      body: String(payload?.body ?? ""),
      createdAt: new Date().toISOString(),
      editedAt: null,
      deletedAt: null,
    };
    socket.to(`room:${roomId}`).emit("message:created", message);
    if (typeof ack === "function") ack({ ok: true, data: { message } });
  });
});

http.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1", () => {
  console.log(JSON.stringify({ listening: (http.address() as AddressInfo).port, node: "baseline" }));
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    io.close();
    process.exit(0);
  });
}
