"use client";

import { useEffect, useLayoutEffect, useRef, useState, type FormEvent } from "react";
import { AlertIcon, SendIcon } from "@/components/ui/icons";
import { Spinner } from "@/components/ui/spinner";
import { MAX_BODY_LENGTH } from "@/lib/contract";
import { useChat, useChatClient } from "@/lib/client/chat-context";
import type { ConnectionState } from "@/lib/client/chat-client";
import { formatTime } from "@/lib/client/format";

/** True while `until` (ISO) is in the future; flips back by itself when it passes. */
function useMutedNow(until: string | null): boolean {
  const [, setTick] = useState(0);
  const end = until ? Date.parse(until) : 0;
  const active = end > Date.now();
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(() => setTick((n) => n + 1), Math.min(end - Date.now() + 50, 2_147_000_000));
    return () => clearTimeout(timer);
  }, [active, end]);
  return active;
}

/** Unsent text per room, kept while the tab lives. */
const drafts = new Map<string, string>();
/** Show the character counter from this length on. */
const COUNTER_FROM = MAX_BODY_LENGTH - 500;

const OFFLINE_REASON: Record<Exclude<ConnectionState, "connected">, string> = {
  connecting: "Connecting to the server…",
  reconnecting: "Connection lost. Reconnecting…",
  offline: "You are offline.",
};
/** Sending works offline: messages wait in the outbox (kept across reloads) and go out when the connection is back. */
const QUEUED_NOTE = "Messages you send now are kept and go out once you're back online.";

export function Composer({ roomId, roomName }: { roomId: string; roomName: string }) {
  const client = useChatClient();
  const connection = useChat((s) => s.connection);
  const detail = useChat((s) => s.connectionDetail);
  const mutedUntil = useChat((s) => s.mutedUntil[roomId] ?? null);
  const muted = useMutedNow(mutedUntil);
  const [value, setValue] = useState(() => drafts.get(roomId) ?? "");
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const hadFocus = useRef(false);
  const connected = connection === "connected";
  // Offline is fine: sends wait in the outbox. Only a mute stops writing.
  const canWrite = !muted;
  const length = value.length;
  const tooLong = length > MAX_BODY_LENGTH;
  const empty = value.trim().length === 0;

  // Autofocus on wide screens (on phones it would pop the keyboard over the messages).
  useEffect(() => {
    if (window.matchMedia("(min-width: 768px) and (pointer: fine)").matches) ref.current?.focus();
  }, [roomId]);

  // A disabled textarea loses focus: give it back when the mute ends.
  useEffect(() => {
    if (canWrite && hadFocus.current && document.activeElement !== ref.current) ref.current?.focus();
  }, [canWrite]);

  // Grow with the text. The form's height is pinned while measuring so the message
  // list above never sees a transient resize (which would clamp its scroll position
  // and make it stop following new messages).
  useLayoutEffect(() => {
    const el = ref.current;
    const form = formRef.current;
    if (!el || !form) return;
    form.style.height = `${form.offsetHeight}px`;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 220)}px`;
    form.style.height = "";
  }, [value]);

  // Leaving the room (or the page) ends "is typing".
  useEffect(() => () => client?.stopTyping(roomId), [client, roomId]);

  function update(next: string, typed = false) {
    setValue(next);
    if (next) drafts.set(roomId, next);
    else drafts.delete(roomId);
    if (error) setError(null);
    if (typed) client?.typingInput(roomId, next.trim().length > 0);
  }

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (!client || !canWrite || empty) return;
    if (tooLong) {
      setError(`This message is ${length.toLocaleString("en-US")} characters long; the limit is ${MAX_BODY_LENGTH.toLocaleString("en-US")}.`);
      return;
    }
    const failure = client.send(roomId, value);
    if (failure) {
      setError(failure.message);
      return;
    }
    update("");
  }

  const reason =
    muted && mutedUntil
      ? `You are muted in this room until ${formatTime(mutedUntil)}.`
      : !connected
        ? connection === "connecting"
          ? (detail ?? OFFLINE_REASON.connecting)
          : `${detail && connection !== "offline" ? detail : OFFLINE_REASON[connection]} ${QUEUED_NOTE}`
        : null;

  return (
    <div className="shrink-0 px-3 pb-3 md:px-5 md:pb-5" style={{ paddingBottom: "max(0.75rem, env(safe-area-inset-bottom))" }}>
      {reason ? (
        <div role="status" className="mb-2 flex items-center gap-2 rounded-lg bg-warn-soft px-3 py-2 text-[13px] text-warn">
          {muted || connection === "offline" ? <AlertIcon size={15} className="shrink-0" /> : <Spinner size={14} className="shrink-0" />}
          <span>{reason}</span>
        </div>
      ) : null}
      <form
        ref={formRef}
        onSubmit={submit}
        className={`overflow-hidden rounded-xl border bg-elevated shadow-xs transition-[border-color,box-shadow] focus-within:ring-[3px] ${
          tooLong ? "border-danger focus-within:ring-danger/20" : "border-line-strong focus-within:border-accent focus-within:ring-ring"
        } ${canWrite ? "" : "opacity-70"}`}
      >
        <textarea
          ref={ref}
          aria-label="Message"
          aria-describedby={error ? `composer-error-${roomId}` : undefined}
          placeholder={muted ? "You are muted" : `Message ${roomName}`}
          value={value}
          rows={1}
          disabled={!canWrite}
          onFocus={() => {
            hadFocus.current = true;
          }}
          onBlur={(e) => {
            // Losing focus because the textarea was disabled (muted) doesn't count.
            if (!e.currentTarget.disabled) hadFocus.current = false;
            client?.stopTyping(roomId);
          }}
          onChange={(e) => update(e.target.value, true)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
          className="block max-h-[220px] w-full resize-none bg-transparent px-3.5 pt-3 pb-1 text-[14.5px] leading-6 text-ink outline-none placeholder:text-ink-faint disabled:cursor-not-allowed"
        />
        <div className="flex items-center gap-3 px-2.5 pb-2">
          <p className="hidden pl-1 text-[11.5px] text-ink-faint sm:block">
            <kbd className="font-sans font-medium">Enter</kbd> to send · <kbd className="font-sans font-medium">Shift + Enter</kbd> for a new line
          </p>
          <span className="ml-auto" />
          {length >= COUNTER_FROM ? (
            <span
              aria-live="polite"
              className={`text-xs tabular-nums ${tooLong ? "font-medium text-danger" : "text-ink-faint"}`}
              title={`${MAX_BODY_LENGTH.toLocaleString("en-US")} characters at most`}
            >
              {tooLong
                ? `${(length - MAX_BODY_LENGTH).toLocaleString("en-US")} over the limit`
                : `${(MAX_BODY_LENGTH - length).toLocaleString("en-US")} left`}
            </span>
          ) : null}
          <button
            type="submit"
            aria-label="Send message"
            title="Send (Enter)"
            disabled={!canWrite || empty || tooLong}
            className="inline-flex size-8 items-center justify-center rounded-lg bg-accent text-accent-ink transition-colors hover:bg-accent-hover disabled:cursor-not-allowed disabled:bg-surface-2 disabled:text-ink-faint"
          >
            <SendIcon size={16} />
          </button>
        </div>
      </form>
      {error ? (
        <p id={`composer-error-${roomId}`} role="alert" className="mt-1.5 flex items-center gap-1.5 px-1 text-[13px] text-danger">
          <AlertIcon size={14} className="shrink-0" />
          {error}
        </p>
      ) : null}
    </div>
  );
}
