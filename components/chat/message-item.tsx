"use client";

import { memo, useEffect, useLayoutEffect, useRef, useState, type ReactNode } from "react";
import { Avatar } from "@/components/ui/avatar";
import { Button, IconButton } from "@/components/ui/button";
import { AlertIcon, ClockIcon, PencilIcon, RetryIcon, TrashIcon, XIcon } from "@/components/ui/icons";
import { MAX_BODY_LENGTH } from "@/lib/contract";
import type { TimelineMessage } from "@/lib/client/chat-client";
import { useChatClient } from "@/lib/client/chat-context";
import { formatFull, formatTime } from "@/lib/client/format";

const URL_RE = /(https?:\/\/[^\s<>"]+[^\s<>".,:;'!?)\]])/g;

/** Plain text with http(s) links made clickable. Everything else stays text. */
function linkify(text: string): ReactNode[] {
  const parts = text.split(URL_RE);
  return parts.map((part, i) =>
    i % 2 === 1 ? (
      <a key={i} href={part} target="_blank" rel="noopener noreferrer nofollow" className="text-accent underline decoration-accent/40 underline-offset-2 hover:decoration-accent">
        {part}
      </a>
    ) : (
      part
    ),
  );
}

export const MessageItem = memo(function MessageItem({
  message,
  grouped,
  mine,
}: {
  message: TimelineMessage;
  grouped: boolean;
  mine: boolean;
}) {
  const client = useChatClient();
  const [mode, setMode] = useState<"view" | "edit" | "confirm-delete">("view");
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const deleted = message.deletedAt !== null;
  const canChange = mine && message.status === "sent" && !deleted && message.id !== null;
  const time = formatTime(message.createdAt);

  async function remove() {
    if (!client || !message.id) return;
    setBusy(true);
    const result = await client.deleteMessage(message.id);
    setBusy(false);
    if (result.ok) setMode("view");
    else setActionError(result.error.message);
  }

  return (
    <div
      data-testid="message"
      data-seq={message.seq ?? undefined}
      data-status={message.status}
      data-key={message.key}
      className={`group relative flex gap-3 px-4 transition-colors md:px-5 ${grouped ? "py-0.5" : "mt-2 pb-0.5 pt-1.5"} ${
        mode === "view" ? "hover:bg-surface" : "bg-surface"
      } ${message.status === "failed" ? "bg-danger-soft/40" : ""}`}
    >
      <div className="w-9 shrink-0">
        {grouped ? (
          <time
            dateTime={message.createdAt}
            title={formatFull(message.createdAt)}
            className="invisible block pt-[3px] text-right text-[10.5px] leading-5 tabular-nums text-ink-faint group-hover:visible"
          >
            {time.replace(/\s?[AP]M$/i, "")}
          </time>
        ) : (
          <div className="pt-0.5">
            <Avatar id={message.author.id} name={message.author.name} size={36} />
          </div>
        )}
      </div>

      <div className="min-w-0 flex-1">
        {grouped ? null : (
          <div className="flex items-baseline gap-2">
            <span className="truncate text-[14px] font-semibold text-ink">{message.author.name}</span>
            <time dateTime={message.createdAt} title={formatFull(message.createdAt)} className="shrink-0 text-xs tabular-nums text-ink-faint">
              {time}
            </time>
          </div>
        )}

        {mode === "edit" && message.id ? (
          <EditBox messageId={message.id} initial={message.body} onDone={() => setMode("view")} />
        ) : deleted ? (
          <div className="text-[14px] leading-6">
            <span data-testid="message-body" className="italic text-ink-faint">
              message deleted
            </span>
          </div>
        ) : (
          <div className={`text-[14.5px] leading-6 text-ink ${message.status === "pending" ? "opacity-55" : ""}`}>
            <span data-testid="message-body" className="whitespace-pre-wrap break-words [overflow-wrap:anywhere]">
              {linkify(message.body)}
            </span>
            {message.editedAt ? (
              <span className="ml-1.5 text-[11px] text-ink-faint" title={`Edited ${formatFull(message.editedAt)}`}>
                (edited)
              </span>
            ) : null}
            {message.status === "pending" ? (
              <span className="ml-1.5 inline-flex translate-y-[2px] text-ink-faint" title="Sending…">
                <ClockIcon size={13} />
                <span className="sr-only">Sending</span>
              </span>
            ) : null}
          </div>
        )}

        {message.status === "failed" ? (
          <div role="alert" className="mt-1 flex flex-wrap items-center gap-x-3 gap-y-1 text-[12.5px] text-danger">
            <span className="inline-flex items-center gap-1.5">
              <AlertIcon size={14} />
              Not sent{message.error ? `: ${message.error.message}` : ""}
            </span>
            <span className="inline-flex items-center gap-1">
              <Button variant="ghost" size="sm" className="!h-6 !px-1.5 text-danger hover:text-danger" onClick={() => client?.retry(message.clientId)}>
                <RetryIcon size={13} /> Retry
              </Button>
              <Button variant="ghost" size="sm" className="!h-6 !px-1.5" onClick={() => client?.discard(message.clientId)}>
                <XIcon size={13} /> Discard
              </Button>
            </span>
          </div>
        ) : null}

        {mode === "confirm-delete" ? (
          <div className="animate-in mt-1.5 flex flex-wrap items-center gap-2 rounded-lg border border-line bg-elevated px-3 py-2 text-[13px] shadow-xs">
            <span className="text-ink-muted">Delete this message for everyone?</span>
            <span className="ml-auto flex gap-1.5">
              <Button variant="ghost" size="sm" onClick={() => setMode("view")}>
                Cancel
              </Button>
              <Button variant="danger" size="sm" loading={busy} onClick={() => void remove()}>
                Delete
              </Button>
            </span>
          </div>
        ) : null}
        {actionError ? <p className="mt-1 text-xs text-danger">{actionError}</p> : null}
      </div>

      {canChange && mode === "view" ? (
        <div className="absolute -top-3 right-4 z-10 hidden items-center rounded-lg border border-line bg-elevated p-0.5 shadow-sm group-hover:flex group-focus-within:flex">
          <IconButton label="Edit message" className="!size-7" onClick={() => { setActionError(null); setMode("edit"); }}>
            <PencilIcon size={14} />
          </IconButton>
          <IconButton label="Delete message" className="!size-7 hover:!text-danger" onClick={() => { setActionError(null); setMode("confirm-delete"); }}>
            <TrashIcon size={14} />
          </IconButton>
        </div>
      ) : null}
    </div>
  );
});

function EditBox({ messageId, initial, onDone }: { messageId: string; initial: string; onDone: () => void }) {
  const client = useChatClient();
  const [value, setValue] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [value]);

  async function save() {
    if (!client || saving) return;
    if (value === initial) return onDone();
    setSaving(true);
    const result = await client.editMessage(messageId, value);
    setSaving(false);
    if (result.ok) onDone();
    else setError(result.error.message);
  }

  const tooLong = value.length > MAX_BODY_LENGTH;
  return (
    <div className="mt-1">
      <textarea
        ref={ref}
        aria-label="Editing message"
        value={value}
        rows={1}
        onChange={(e) => {
          setValue(e.target.value);
          setError(null);
        }}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            onDone();
          } else if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void save();
          }
        }}
        className="block w-full resize-none rounded-lg border border-line-strong bg-canvas px-3 py-2 text-[14.5px] leading-6 outline-none focus:border-accent focus:ring-[3px] focus:ring-ring"
      />
      <div className="mt-1.5 flex items-center gap-2 text-xs text-ink-faint">
        <span className="hidden sm:inline">Escape to cancel · Enter to save</span>
        {error ? <span className="text-danger">{error}</span> : null}
        {tooLong ? <span className="text-danger">{value.length.toLocaleString("en-US")}/{MAX_BODY_LENGTH.toLocaleString("en-US")}</span> : null}
        <span className="ml-auto flex gap-1.5">
          <Button variant="ghost" size="sm" onClick={onDone}>
            Cancel
          </Button>
          <Button size="sm" loading={saving} disabled={tooLong || value.trim().length === 0} onClick={() => void save()}>
            Save
          </Button>
        </span>
      </div>
    </div>
  );
}
