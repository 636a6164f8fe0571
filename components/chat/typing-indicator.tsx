"use client";

import { useChat } from "@/lib/client/chat-context";
import type { TypingUser } from "@/lib/client/chat-client";
import { typingText } from "@/lib/client/format";

const NOBODY: readonly TypingUser[] = [];

/**
 * "Alice is typing…" under the message list. Its line is always there (empty
 * when nobody types), so the list never jumps when someone starts or stops.
 */
export function TypingIndicator({ roomId }: { roomId: string }) {
  const typists = useChat((s) => s.typing[roomId] ?? NOBODY);
  const text = typingText(typists.map((t) => t.name));
  return (
    <div
      data-testid="typing-indicator"
      data-typing={typists.length > 0 ? "true" : "false"}
      aria-live="polite"
      className="flex h-6 shrink-0 items-center gap-1.5 overflow-hidden px-4 text-[12px] text-ink-muted md:px-6"
    >
      {text ? (
        <>
          <span aria-hidden="true" className="inline-flex items-center gap-[3px]">
            {[0, 160, 320].map((delay) => (
              <span key={delay} className="size-1 animate-pulse rounded-full bg-ink-faint" style={{ animationDelay: `${delay}ms` }} />
            ))}
          </span>
          <span className="truncate">
            {typists.length <= 2 ? <Names text={text} names={typists.map((t) => t.name)} /> : text}
          </span>
        </>
      ) : null}
    </div>
  );
}

/** The sentence with the names in bold. */
function Names({ text, names }: { text: string; names: string[] }) {
  const parts: Array<string | { name: string }> = [];
  let rest = text;
  for (const name of names) {
    const at = rest.indexOf(name);
    if (at < 0) continue;
    if (at > 0) parts.push(rest.slice(0, at));
    parts.push({ name });
    rest = rest.slice(at + name.length);
  }
  if (rest) parts.push(rest);
  return (
    <>
      {parts.map((p, i) =>
        typeof p === "string" ? (
          p
        ) : (
          <span key={i} className="font-semibold text-ink">
            {p.name}
          </span>
        ),
      )}
    </>
  );
}
