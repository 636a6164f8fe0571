"use client";

import { ChatIcon } from "@/components/ui/icons";
import { useChat } from "@/lib/client/chat-context";

/** /chat with no room open (desktop; on phones the room list fills the screen instead). */
export function ChatHome() {
  const me = useChat((s) => s.me);
  const rooms = useChat((s) => s.rooms);
  const roomsStatus = useChat((s) => s.roomsStatus);
  const memberOf = rooms.filter((r) => r.membership).length;
  const browsable = rooms.length - memberOf;
  const firstName = me.name.split(/\s+/)[0] ?? me.name;

  let hint = "Pick a room on the left to start chatting.";
  if (roomsStatus === "ready" && rooms.length === 0) hint = "There are no rooms yet. Create the first one with New room.";
  else if (roomsStatus === "ready" && memberOf === 0 && browsable > 0)
    hint = `${browsable === 1 ? "One public room is" : `${browsable} public rooms are`} waiting under Browse. Open one to join.`;

  return (
    <div className="flex flex-1 items-center justify-center p-8">
      <div className="animate-in flex max-w-sm flex-col items-center text-center">
        <div className="mb-5 flex size-14 items-center justify-center rounded-2xl border border-line bg-surface text-accent shadow-sm">
          <ChatIcon size={26} />
        </div>
        <h1 className="text-lg font-semibold tracking-tight">Welcome, {firstName}</h1>
        <p className="mt-1.5 text-sm leading-6 text-ink-muted">{hint}</p>
        <div className="mt-6 flex items-center gap-2 text-xs text-ink-faint">
          <kbd className="rounded border border-line bg-surface px-1.5 py-0.5 font-sans">Enter</kbd> sends,
          <kbd className="rounded border border-line bg-surface px-1.5 py-0.5 font-sans">Shift + Enter</kbd> adds a line
        </div>
      </div>
    </div>
  );
}
