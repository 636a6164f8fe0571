import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EnvError, loadEnv } from "./env";

const tempDir = () => mkdtempSync(path.join(tmpdir(), "parley-env-"));

describe("loadEnv", () => {
  it("works with nothing set: embedded mode with a generated, persisted development secret", () => {
    const dataDir = tempDir();
    const env = loadEnv({ DATA_DIR: dataDir });
    expect(env.PORT).toBe(3000);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.DATABASE_WRITE_CONCURRENCY).toBe(1);
    expect(env.AUTH_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dataDir, "auth-secret"), "utf8").trim()).toBe(env.AUTH_SECRET);
    // Stable across restarts.
    expect(loadEnv({ DATA_DIR: dataDir }).AUTH_SECRET).toBe(env.AUTH_SECRET);
  });

  it("refuses to start in production without AUTH_SECRET, naming the variable", () => {
    expect(() => loadEnv({ NODE_ENV: "production", DATA_DIR: tempDir() })).toThrowError(/AUTH_SECRET: required in production/);
  });

  it("names every invalid variable", () => {
    try {
      loadEnv({ PORT: "http", DATABASE_URL: "mysql://x", AUTH_SECRET: "short", DATABASE_WRITE_CONCURRENCY: "0" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EnvError);
      const message = (err as Error).message;
      expect(message).toMatch(/PORT:/);
      expect(message).toMatch(/DATABASE_URL: must be a postgres/);
      expect(message).toMatch(/AUTH_SECRET: must be at least 32/);
      expect(message).toMatch(/DATABASE_WRITE_CONCURRENCY:/);
    }
  });

  it("treats empty strings as unset, as .env files write them", () => {
    const env = loadEnv({ DATABASE_URL: "", REDIS_URL: " ", DATA_DIR: tempDir() });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.REDIS_URL).toBeUndefined();
  });
});
