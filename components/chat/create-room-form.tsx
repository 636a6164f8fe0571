"use client";

import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { GlobeIcon, LockIcon, PlusIcon } from "@/components/ui/icons";
import { MAX_ROOM_NAME_LENGTH } from "@/lib/contract";
import { useChat, useChatClient } from "@/lib/client/chat-context";

export function CreateRoom({ onCreated }: { onCreated?: () => void }) {
  const [open, setOpen] = useState(false);
  return open ? (
    <CreateRoomForm
      onClose={() => setOpen(false)}
      onCreated={() => {
        setOpen(false);
        onCreated?.();
      }}
    />
  ) : (
    <Button variant="secondary" className="w-full justify-start" onClick={() => setOpen(true)}>
      <PlusIcon size={16} className="text-ink-muted" />
      New room
    </Button>
  );
}

function CreateRoomForm({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const client = useChatClient();
  const router = useRouter();
  const connected = useChat((s) => s.connection === "connected");
  const [name, setName] = useState("");
  const [isPrivate, setIsPrivate] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const id = useId();

  useEffect(() => inputRef.current?.focus(), []);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!client || pending) return;
    setPending(true);
    setError(null);
    const result = await client.createRoom(name, !isPrivate);
    setPending(false);
    if (!result.ok) {
      setError(result.error.message);
      inputRef.current?.focus();
      return;
    }
    onCreated();
    router.push(`/chat/${result.data.id}`);
  }

  return (
    <form
      onSubmit={onSubmit}
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
      className="animate-in flex flex-col gap-3 rounded-xl border border-line bg-elevated p-3 shadow-sm"
    >
      <div className="flex flex-col gap-1.5">
        <label htmlFor={`${id}-name`} className="text-xs font-medium text-ink-muted">
          Room name
        </label>
        <input
          ref={inputRef}
          id={`${id}-name`}
          value={name}
          maxLength={MAX_ROOM_NAME_LENGTH}
          placeholder="e.g. design-review"
          autoComplete="off"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(e) => {
            setName(e.target.value);
            setError(null);
          }}
          className="h-9 rounded-lg border border-line-strong bg-canvas px-2.5 text-sm outline-none placeholder:text-ink-faint focus:border-accent focus:ring-[3px] focus:ring-ring aria-invalid:border-danger"
        />
      </div>
      <div role="radiogroup" aria-label="Visibility" className="grid grid-cols-2 gap-1 rounded-lg bg-surface-2 p-0.5 text-xs font-medium">
        <button
          type="button"
          role="radio"
          aria-checked={!isPrivate}
          onClick={() => setIsPrivate(false)}
          className={`flex h-7 items-center justify-center gap-1.5 rounded-md transition-colors ${!isPrivate ? "bg-elevated text-ink shadow-xs" : "text-ink-muted hover:text-ink"}`}
        >
          <GlobeIcon size={13} /> Public
        </button>
        <button
          type="button"
          role="radio"
          aria-checked={isPrivate}
          onClick={() => setIsPrivate(true)}
          className={`flex h-7 items-center justify-center gap-1.5 rounded-md transition-colors ${isPrivate ? "bg-elevated text-ink shadow-xs" : "text-ink-muted hover:text-ink"}`}
        >
          <LockIcon size={13} /> Private
        </button>
      </div>
      <p className="text-xs leading-4 text-ink-faint">
        {isPrivate ? "Only people you invite can see and join it." : "Anyone in this workspace can find and join it."}
      </p>
      {error ? (
        <p id={`${id}-error`} role="alert" className="text-xs text-danger">
          {error}
        </p>
      ) : null}
      {!connected ? <p className="text-xs text-warn">Waiting for the connection…</p> : null}
      <div className="flex justify-end gap-2">
        <Button variant="ghost" size="sm" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" size="sm" loading={pending} disabled={!name.trim() || !connected}>
          Create
        </Button>
      </div>
    </form>
  );
}
