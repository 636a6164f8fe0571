import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DisconnectNotice } from "../../lib/contract";
import { call, collect, ok, startTestServer, until, waitForConnect, type TestServer } from "../support/test-server";

// Token lifetime on open sockets: 2 s here so the test is quick.
describe("socket sessions", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("pglite", { tokenTtlSeconds: 2 });
  });
  afterAll(() => server?.close());

  it("disconnects a socket whose token expired, saying why, and lets it reconnect with a fresh token", async () => {
    const { socket } = await server.signUpAndConnect("Expiring");
    const notices = collect<DisconnectNotice>(socket, "session:notice");
    let reason = "";
    socket.once("disconnect", (r) => (reason = r));
    await until(() => reason !== "", 5_000, "token expiry disconnect");
    expect(notices).toEqual([{ reason: "token_expired" }]);
    // A transport close: clients reconnect by themselves.
    expect(reason).toBe("transport close");
    // The client's auth callback fetches a fresh token for the reconnect.
    await waitForConnect(socket);
    expect((await call(socket, "room:list", {})).ok).toBe(true);
  });

  it("refuses to renew with someone else's token", async () => {
    const a = await server.signUpAndConnect("A");
    const b = await server.createUser("B");
    const { token } = await server.services.tokens.issue({ ...b, role: "USER" });
    expect(await call(a.socket, "auth:renew", { token })).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(await call(a.socket, "auth:renew", { token: "garbage" })).toMatchObject({ ok: false, error: { code: "unauthorized" } });
  });
});

// Its own server with a roomier token lifetime, so a loaded machine's scheduling
// hiccups cannot look like a failed renewal.
describe("in-band token renewal", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("pglite", { tokenTtlSeconds: 5 });
  });
  afterAll(() => server?.close());

  it("keeps a socket that renews its token before it runs out, past several lifetimes", async () => {
    const user = await server.createUser("Renewing");
    const socket = await server.connectAs(user);
    let disconnected = false;
    socket.on("disconnect", () => (disconnected = true));
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 2_500));
      const { token } = await server.services.tokens.issue({ ...user, role: "USER" });
      await ok(socket, "auth:renew", { token });
    }
    // 10 s on a 5 s token: only the renewals kept it open.
    expect(disconnected).toBe(false);
    socket.disconnect();
  });
});
