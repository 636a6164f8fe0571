import { createSigner } from "fast-jwt";
import { describe, expect, it } from "vitest";
import { createSocketTokens, socketTokenKey } from "./socket-tokens";

const secret = "unit-test-secret-unit-test-secret-0123";
const alice = { id: "u1", name: "Alice", role: "USER" as const };
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token with the right key but whatever claims and algorithm a test needs. */
function forge(claims: Record<string, unknown>, algorithm: "HS256" | "HS512" | "none" = "HS256"): string {
  const sign = createSigner({ key: algorithm === "none" ? undefined : socketTokenKey(secret), algorithm });
  return sign({ sub: "u1", name: "Alice", role: "USER", aud: "parley:socket", exp: nowSeconds() + 60, ...claims });
}

describe("socket tokens", () => {
  it("round-trips the identity and its expiry", async () => {
    const tokens = createSocketTokens({ secret, ttlSeconds: 60 });
    const { token, expiresAt } = await tokens.issue(alice);
    const identity = await tokens.verify(token);
    expect(identity).toMatchObject(alice);
    expect(identity.expiresAt).toBe(expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(55_000);
    await expect(tokens.verify(await forge({ role: "ADMIN" }))).resolves.toMatchObject({ role: "ADMIN" });
  });

  it("rejects tokens signed with another secret, tampered, or missing", async () => {
    const other = createSocketTokens({ secret: `${secret}-other`, ttlSeconds: 60 });
    const tokens = createSocketTokens({ secret, ttlSeconds: 60 });
    const { token } = await other.issue(alice);
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: "unauthorized" });
    const { token: good } = await tokens.issue(alice);
    await expect(tokens.verify(`${good.slice(0, -2)}xx`)).rejects.toMatchObject({ code: "unauthorized" });
    await expect(tokens.verify(undefined)).rejects.toMatchObject({ code: "unauthorized" });
    await expect(tokens.verify("not.a.jwt")).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("rejects an expired token", async () => {
    const tokens = createSocketTokens({ secret, ttlSeconds: 60 });
    const past = nowSeconds() - 120;
    await expect(tokens.verify(forge({ iat: past, exp: past + 60 }))).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("rejects another audience, another algorithm, alg none, and missing claims", async () => {
    const tokens = createSocketTokens({ secret, ttlSeconds: 60 });
    await expect(tokens.verify(forge({}))).resolves.toMatchObject(alice); // the forger itself is sound
    await expect(tokens.verify(forge({ aud: "parley:session" }))).rejects.toMatchObject({ code: "unauthorized" });
    await expect(tokens.verify(forge({}, "HS512"))).rejects.toMatchObject({ code: "unauthorized" });
    await expect(tokens.verify(forge({}, "none"))).rejects.toMatchObject({ code: "unauthorized" });
    await expect(tokens.verify(forge({ exp: undefined }))).rejects.toMatchObject({ code: "unauthorized" });
    await expect(tokens.verify(forge({ name: 42 }))).rejects.toMatchObject({ code: "unauthorized" });
    await expect(tokens.verify(forge({ sub: undefined }))).rejects.toMatchObject({ code: "unauthorized" });
  });
});
