import { describe, expect, it } from "vitest";
import { schemas } from "./schemas";

describe("wire schemas", () => {
  it("accepts a well-formed send and strips unknown fields such as an author id", () => {
    const parsed = schemas["message:send"].parse({ roomId: "r1", clientId: "0123456789", body: "hi", authorId: "evil" });
    expect(parsed).toEqual({ roomId: "r1", clientId: "0123456789", body: "hi" });
  });

  it("rejects whitespace-only bodies and short client ids", () => {
    expect(schemas["message:send"].safeParse({ roomId: "r1", clientId: "0123456789", body: " \n\t" }).success).toBe(false);
    expect(schemas["message:send"].safeParse({ roomId: "r1", clientId: "abc", body: "hi" }).success).toBe(false);
  });

  it("defaults and bounds page sizes", () => {
    expect(schemas["room:history"].parse({ roomId: "r1" }).limit).toBe(50);
    expect(schemas["room:sync"].safeParse({ roomId: "r1", afterSeq: 0, limit: 501 }).success).toBe(false);
    expect(schemas["room:sync"].safeParse({ roomId: "r1", afterSeq: -1 }).success).toBe(false);
  });

  it("validates room names", () => {
    expect(schemas["room:create"].parse({ name: "  design-team " })).toEqual({ name: "design-team", isPublic: true });
    expect(schemas["room:create"].safeParse({ name: "<script>" }).success).toBe(false);
  });
});
