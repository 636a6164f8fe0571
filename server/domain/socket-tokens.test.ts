import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createSocketTokens } from "./socket-tokens";

const secret = "unit-test-secret-unit-test-secret-0123";
const alice = { id: "u1", name: "Alice", role: "USER" as const };

describe("socket tokens", () => {
  it("round-trips the identity and its expiry", async () => {
    const tokens = createSocketTokens({ secret, ttlSeconds: 60 });
    const { token, expiresAt } = await tokens.issue(alice);
    const identity = await tokens.verify(token);
    expect(identity).toMatchObject(alice);
    expect(identity.expiresAt).toBe(expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(55_000);
  });

  it("rejects tokens signed with another secret, tampered, or missing", async () => {
    const other = createSocketTokens({ secret: `${secret}-other`, ttlSeconds: 60 });
    const tokens = createSocketTokens({ secret, ttlSeconds: 60 });
    const { token } = await other.issue(alice);
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: "unauthorized" });
    const { token: good } = await tokens.issue(alice);
    await expect(tokens.verify(`${good.slice(0, -2)}xx`)).rejects.toMatchObject({ code: "unauthorized" });
    await expect(tokens.verify(undefined)).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("rejects an expired token", async () => {
    const tokens = createSocketTokens({ secret, ttlSeconds: 60 });
    const { createHash } = await import("node:crypto");
    const key = createHash("sha256").update(`parley-socket-token:${secret}`).digest();
    const past = Math.floor(Date.now() / 1000) - 120;
    const expired = await new SignJWT({ name: "Alice", role: "USER" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u1")
      .setAudience("parley:socket")
      .setIssuedAt(past)
      .setExpirationTime(past + 60)
      .sign(key);
    await expect(tokens.verify(expired)).rejects.toMatchObject({ code: "unauthorized" });
  });
});
