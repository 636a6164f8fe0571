import { describe, expect, it } from "vitest";
import { formatAgo, typingText } from "./format";

describe("formatAgo", () => {
  const now = Date.parse("2025-06-15T12:00:00Z");
  const ago = (ms: number) => formatAgo(new Date(now - ms).toISOString(), now);

  it("reads like a person would say it", () => {
    expect(ago(20_000)).toBe("just now");
    expect(ago(5 * 60_000)).toBe("5 min ago");
    expect(ago(59 * 60_000 + 59_000)).toBe("59 min ago");
    expect(ago(3 * 3_600_000)).toBe("3 h ago");
    expect(ago(30 * 3_600_000)).toBe("yesterday");
    expect(ago(4 * 86_400_000)).toBe("4 days ago");
  });

  it("never says 'in the future' when clocks disagree, and is empty for junk", () => {
    expect(formatAgo(new Date(now + 90_000).toISOString(), now)).toBe("just now");
    expect(formatAgo("not a date", now)).toBe("");
  });
});

describe("typingText", () => {
  it("names one or two people, and stops naming at three", () => {
    expect(typingText([])).toBeNull();
    expect(typingText(["Alice"])).toBe("Alice is typing…");
    expect(typingText(["Alice", "Bob"])).toBe("Alice and Bob are typing…");
    expect(typingText(["Alice", "Bob", "Carol"])).toBe("Several people are typing…");
  });
});
