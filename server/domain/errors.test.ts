import { describe, expect, it } from "vitest";
import { AppError, isAppError } from "./errors";

describe("isAppError", () => {
  it("recognises AppErrors, also from another copy of the module (as Next loads one)", () => {
    expect(isAppError(new AppError("conflict", "taken"))).toBe(true);
    // What an AppError from a second module instance looks like from here.
    const foreign = Object.assign(new Error("taken"), { name: "AppError", code: "conflict" });
    expect(isAppError(foreign)).toBe(true);
  });

  it("rejects everything else", () => {
    expect(isAppError(new Error("boom"))).toBe(false);
    expect(isAppError(Object.assign(new Error("x"), { name: "AppError", code: "made_up" }))).toBe(false);
    expect(isAppError({ name: "AppError", code: "conflict", message: "plain object" })).toBe(false);
    expect(isAppError(undefined)).toBe(false);
  });
});
