"use client";

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { ArrowDownIcon, HashIcon, LockIcon } from "@/components/ui/icons";
import { Spinner } from "@/components/ui/spinner";
import type { RoomTimeline, TimelineMessage } from "@/lib/client/chat-client";
import { dayKey, formatDay } from "@/lib/client/format";
import { MessageItem } from "./message-item";

/** Within this distance (px) of the bottom, the list counts as "at the bottom" and follows new messages. */
const BOTTOM_SLACK = 48;
/** Start loading older messages when the top is this close (px). */
const TOP_PRELOAD = 400;
/** Messages by the same author closer than this are grouped under one header. */
const GROUP_WINDOW_MS = 5 * 60_000;

type Row =
  | { kind: "day"; key: string; label: string }
  | { kind: "unread"; key: string }
  | { kind: "message"; key: string; message: TimelineMessage; grouped: boolean };

function buildRows(items: readonly TimelineMessage[], meId: string, unreadAfterSeq: number | null): Row[] {
  const rows: Row[] = [];
  let prev: TimelineMessage | null = null;
  let unreadPlaced = false;
  for (const m of items) {
    const day = dayKey(m.createdAt);
    let breakGroup = false;
    if (!prev || dayKey(prev.createdAt) !== day) {
      rows.push({ kind: "day", key: `day-${day}`, label: formatDay(m.createdAt) });
      breakGroup = true;
    }
    if (!unreadPlaced && unreadAfterSeq !== null && m.seq !== null && m.seq > unreadAfterSeq && m.author.id !== meId) {
      rows.push({ kind: "unread", key: "unread" });
      unreadPlaced = true;
      breakGroup = true;
    }
    const grouped =
      !breakGroup &&
      prev !== null &&
      prev.author.id === m.author.id &&
      prev.status !== "failed" &&
      Date.parse(m.createdAt) - Date.parse(prev.createdAt) < GROUP_WINDOW_MS;
    rows.push({ kind: "message", key: m.key, message: m, grouped });
    prev = m;
  }
  return rows;
}

export function MessageList({
  roomName,
  isPublic,
  timeline,
  meId,
  unreadAfterSeq,
  onLoadOlder,
  onRetry,
  onAtBottomChange,
}: {
  roomName: string;
  isPublic: boolean;
  timeline: RoomTimeline;
  meId: string;
  /** Show a "New" divider before the first message after this seq (null: none). */
  unreadAfterSeq: number | null;
  onLoadOlder: () => void;
  onRetry: () => void;
  onAtBottomChange: (atBottom: boolean) => void;
}) {
  const scrollerRef = useRef<HTMLDivElement>(null);
  const contentRef = useRef<HTMLDivElement>(null);
  /** Follow new messages (the user is at the bottom). */
  const stickRef = useRef(true);
  const [atBottom, setAtBottom] = useState(true);
  const [newBelow, setNewBelow] = useState(0);
  const initializedRef = useRef(false);
  const lastKeyRef = useRef<string | null>(null);
  /** The first message's position at the last commit, to keep the view still when content is added above. */
  const anchorRef = useRef<{ key: string; top: number } | null>(null);

  const { items, status, hasMoreBefore, loadingOlder } = timeline;
  const rows = useMemo(() => buildRows(items, meId, unreadAfterSeq), [items, meId, unreadAfterSeq]);

  const onAtBottomRef = useRef(onAtBottomChange);
  const loadOlderRef = useRef({ hasMoreBefore, loadingOlder, status, onLoadOlder });
  useLayoutEffect(() => {
    onAtBottomRef.current = onAtBottomChange;
    loadOlderRef.current = { hasMoreBefore, loadingOlder, status, onLoadOlder };
  });

  const recordAnchor = useCallback(() => {
    const first = contentRef.current?.querySelector<HTMLElement>("[data-testid=message]");
    anchorRef.current = first ? { key: first.dataset.key ?? "", top: first.offsetTop } : null;
  }, []);

  const maybeLoadOlder = useCallback(() => {
    const el = scrollerRef.current;
    const s = loadOlderRef.current;
    if (!el || s.status !== "ready" || !s.hasMoreBefore || s.loadingOlder) return;
    if (el.scrollTop < TOP_PRELOAD || el.scrollHeight <= el.clientHeight + TOP_PRELOAD) s.onLoadOlder();
  }, []);

  const updateBottom = useCallback((bottom: boolean) => {
    stickRef.current = bottom;
    setAtBottom(bottom);
    if (bottom) setNewBelow(0);
    onAtBottomRef.current(bottom);
  }, []);

  const onScroll = useCallback(() => {
    const el = scrollerRef.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK;
    if (bottom !== stickRef.current) updateBottom(bottom);
    maybeLoadOlder();
  }, [maybeLoadOlder, updateBottom]);

  const scrollToBottom = useCallback(
    (smooth: boolean) => {
      const el = scrollerRef.current;
      if (!el) return;
      el.scrollTo({ top: el.scrollHeight, behavior: smooth ? "smooth" : "auto" });
      updateBottom(true);
    },
    [updateBottom],
  );

  // After every change of the timeline: keep the reader's place, or follow the bottom.
  useLayoutEffect(() => {
    const el = scrollerRef.current;
    if (!el) return;
    const last = items.at(-1);
    if (!initializedRef.current) {
      if (status === "ready") {
        initializedRef.current = true;
        el.scrollTop = el.scrollHeight;
        stickRef.current = true;
      }
    } else {
      const appended = last !== undefined && last.key !== lastKeyRef.current;
      const sentByMe = appended && last.author.id === meId && last.status === "pending";
      if (stickRef.current || sentByMe) {
        el.scrollTop = el.scrollHeight;
        if (!stickRef.current) updateBottom(true);
      } else {
        const anchor = anchorRef.current;
        if (anchor) {
          const node = contentRef.current?.querySelector<HTMLElement>(`[data-key="${CSS.escape(anchor.key)}"]`);
          const delta = node ? node.offsetTop - anchor.top : 0;
          if (delta !== 0) el.scrollTop += delta;
        }
        if (appended && last.author.id !== meId) {
          const previousIndex = items.findIndex((m) => m.key === lastKeyRef.current);
          const added = previousIndex >= 0 ? items.length - 1 - previousIndex : 1;
          setNewBelow((n) => n + Math.max(1, added));
        }
      }
    }
    lastKeyRef.current = last?.key ?? null;
    recordAnchor();
    maybeLoadOlder();
  }, [items, status, hasMoreBefore, loadingOlder, meId, recordAnchor, maybeLoadOlder, updateBottom]);

  // Content or viewport size changes (fonts, the composer growing, rotation): stay at the bottom if we were.
  useEffect(() => {
    const el = scrollerRef.current;
    const content = contentRef.current;
    if (!el || !content || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (stickRef.current) el.scrollTop = el.scrollHeight;
      recordAnchor();
    });
    observer.observe(el);
    observer.observe(content);
    return () => observer.disconnect();
  }, [recordAnchor]);

  const Icon = isPublic ? HashIcon : LockIcon;

  return (
    <div className="relative flex min-h-0 flex-1 flex-col">
      <div
        ref={scrollerRef}
        onScroll={onScroll}
        data-testid="message-list"
        role="log"
        aria-label={`Messages in ${roomName}`}
        aria-busy={status === "loading" || loadingOlder}
        className="scroll-thin relative min-h-0 flex-1 overflow-y-auto overscroll-contain [overflow-anchor:none]"
      >
        <div ref={contentRef} className="flex min-h-full flex-col justify-end pb-3">
          {status === "loading" || status === "idle" ? (
            <ListSkeleton />
          ) : status === "error" ? (
            <div className="flex flex-col items-center gap-3 px-6 py-16 text-center">
              <p className="text-sm text-ink-muted">{timeline.error?.message ?? "Couldn't load messages."}</p>
              <Button variant="secondary" size="sm" onClick={onRetry}>
                Try again
              </Button>
            </div>
          ) : (
            <>
              {hasMoreBefore ? (
                <div className="flex h-12 items-center justify-center text-ink-faint">{loadingOlder ? <Spinner size={18} /> : null}</div>
              ) : (
                <div className="px-4 pb-2 pt-10 md:px-5">
                  <div className="mb-3 flex size-12 items-center justify-center rounded-xl bg-accent-soft text-accent-soft-ink">
                    <Icon size={24} />
                  </div>
                  <h2 className="text-xl font-semibold tracking-tight">Welcome to {roomName}</h2>
                  <p className="mt-1 text-sm text-ink-muted">
                    This is the very beginning of the room.{items.length === 0 ? " Say hello 👋" : ""}
                  </p>
                </div>
              )}
              {rows.map((row) =>
                row.kind === "day" ? (
                  <DayDivider key={row.key} label={row.label} />
                ) : row.kind === "unread" ? (
                  <UnreadDivider key={row.key} />
                ) : (
                  <MessageItem key={row.key} message={row.message} grouped={row.grouped} mine={row.message.author.id === meId} />
                ),
              )}
            </>
          )}
        </div>
      </div>

      {!atBottom && status === "ready" ? (
        <div className="pointer-events-none absolute inset-x-0 bottom-3 flex justify-center">
          <button
            type="button"
            onClick={() => scrollToBottom(true)}
            className="animate-in pointer-events-auto inline-flex h-8 items-center gap-1.5 rounded-full border border-line bg-elevated px-3.5 text-[13px] font-medium text-ink shadow-pop hover:bg-surface-hover"
          >
            <ArrowDownIcon size={14} />
            {newBelow > 0 ? `${newBelow} new message${newBelow === 1 ? "" : "s"}` : "Jump to latest"}
          </button>
        </div>
      ) : null}
    </div>
  );
}

function DayDivider({ label }: { label: string }) {
  return (
    <div role="separator" aria-label={label} className="relative my-3 flex items-center px-4 md:px-5">
      <div className="h-px flex-1 bg-line" />
      <span className="mx-3 rounded-full border border-line bg-canvas px-2.5 py-0.5 text-[11px] font-medium text-ink-muted">{label}</span>
      <div className="h-px flex-1 bg-line" />
    </div>
  );
}

function UnreadDivider() {
  return (
    <div role="separator" aria-label="New messages" className="my-2 flex items-center gap-2 px-4 md:px-5">
      <div className="h-px flex-1 bg-danger/50" />
      <span className="text-[11px] font-semibold uppercase tracking-wide text-danger">New</span>
    </div>
  );
}

function ListSkeleton() {
  return (
    <div aria-hidden="true" className="flex flex-col gap-5 px-4 py-6 md:px-5">
      {[62, 40, 78, 50, 30].map((w, i) => (
        <div key={i} className="flex gap-3">
          <div className="size-9 shrink-0 animate-pulse rounded-lg bg-surface-2" />
          <div className="flex flex-1 flex-col gap-2 pt-1">
            <div className="h-3 w-24 animate-pulse rounded bg-surface-2" />
            <div className="h-3 animate-pulse rounded bg-surface-2" style={{ width: `${w}%` }} />
          </div>
        </div>
      ))}
    </div>
  );
}
