"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { signOut } from "next-auth/react";
import { useState } from "react";
import { Avatar } from "@/components/ui/avatar";
import { IconButton } from "@/components/ui/button";
import { HashIcon, LockIcon, LogOutIcon } from "@/components/ui/icons";
import { Logo } from "@/components/ui/logo";
import { Spinner } from "@/components/ui/spinner";
import type { RoomSummary } from "@/lib/contract";
import { useChat, useChatClient } from "@/lib/client/chat-context";
import { formatCount } from "@/lib/client/format";
import { ConnectionStatus } from "./connection-status";
import { CreateRoom } from "./create-room-form";

export function unreadCount(room: RoomSummary): number {
  return room.membership ? Math.max(0, room.lastSeq - room.membership.lastReadSeq) : 0;
}

export function Sidebar({ activeRoomId, email }: { activeRoomId: string | null; email: string }) {
  const me = useChat((s) => s.me);
  const rooms = useChat((s) => s.rooms);
  const roomsStatus = useChat((s) => s.roomsStatus);
  const roomsError = useChat((s) => s.roomsError);
  const mine = rooms.filter((r) => r.membership);
  const others = rooms.filter((r) => !r.membership);

  return (
    <div className="flex h-full min-h-0 flex-col">
      <div className="flex h-14 shrink-0 items-center justify-between gap-2 px-4">
        <Link href="/chat" className="rounded-md" aria-label="Parley home">
          <Logo />
        </Link>
        <ConnectionStatus />
      </div>

      <div className="px-3 pb-3">
        <CreateRoom />
      </div>

      <nav aria-label="Rooms" className="scroll-thin min-h-0 flex-1 overflow-y-auto px-2 pb-4">
        {roomsStatus === "loading" && rooms.length === 0 ? (
          <RoomListSkeleton />
        ) : roomsStatus === "error" && rooms.length === 0 ? (
          <p className="px-2 py-3 text-sm text-ink-muted">
            Couldn&apos;t load rooms{roomsError ? `: ${roomsError.message}` : ""}. They will load once connected.
          </p>
        ) : (
          <>
            <Section title="Your rooms">
              {mine.length === 0 ? (
                <p className="px-2 py-1.5 text-[13px] leading-5 text-ink-faint">
                  You haven&apos;t joined any room yet. Create one or pick one below.
                </p>
              ) : (
                mine.map((room) => <RoomItem key={room.id} room={room} active={room.id === activeRoomId} />)
              )}
            </Section>
            {others.length > 0 ? (
              <Section title="Browse">
                {others.map((room) => (
                  <RoomItem key={room.id} room={room} active={room.id === activeRoomId} />
                ))}
              </Section>
            ) : null}
          </>
        )}
      </nav>

      <div className="flex shrink-0 items-center gap-2.5 border-t border-line px-3 py-3">
        <Avatar id={me.id} name={me.name} size={32} />
        <div className="min-w-0 flex-1">
          <div className="truncate text-sm font-medium text-ink">{me.name}</div>
          <div className="truncate text-xs text-ink-faint">{email}</div>
        </div>
        <IconButton label="Sign out" onClick={() => void signOut({ callbackUrl: "/sign-in" })}>
          <LogOutIcon size={16} />
        </IconButton>
      </div>
    </div>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div className="mt-2 first:mt-0">
      <h2 className="px-2 pb-1 pt-2 text-[11px] font-semibold uppercase tracking-wider text-ink-faint">{title}</h2>
      <ul className="flex flex-col gap-px">{children}</ul>
    </div>
  );
}

function RoomItem({ room, active }: { room: RoomSummary; active: boolean }) {
  const client = useChatClient();
  const router = useRouter();
  const [joining, setJoining] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const unread = active ? 0 : unreadCount(room);
  const Icon = room.isPublic ? HashIcon : LockIcon;
  const base = `group flex h-10 w-full md:h-8 items-center gap-2 rounded-md px-2 text-left text-sm transition-colors ${
    active
      ? "bg-accent-soft text-accent-soft-ink font-medium"
      : unread > 0
        ? "text-ink font-semibold hover:bg-surface-hover"
        : "text-ink-muted hover:bg-surface-hover hover:text-ink"
  }`;
  const content = (
    <>
      <Icon size={15} className={`shrink-0 ${active ? "" : "text-ink-faint group-hover:text-ink-muted"}`} />
      <span className="min-w-0 flex-1 truncate">{room.name}</span>
      {!room.isPublic ? <span className="sr-only">(private)</span> : null}
      {unread > 0 ? (
        <span
          aria-label={`${unread} unread`}
          className="ml-auto inline-flex h-[18px] min-w-[18px] items-center justify-center rounded-full bg-accent px-1.5 text-[11px] font-semibold tabular-nums text-accent-ink"
        >
          {formatCount(unread)}
        </span>
      ) : null}
      {!room.membership ? (
        joining ? (
          <Spinner size={13} className="ml-auto text-ink-faint" />
        ) : (
          <span className="ml-auto hidden text-xs font-medium text-accent group-hover:inline group-focus-visible:inline">Join</span>
        )
      ) : null}
    </>
  );

  if (room.membership) {
    return (
      <li>
        <Link data-testid="room-item" href={`/chat/${room.id}`} aria-current={active ? "page" : undefined} className={base}>
          {content}
        </Link>
      </li>
    );
  }

  async function join() {
    if (!client || joining) return;
    setJoining(true);
    setError(null);
    const result = await client.joinRoom(room.id);
    setJoining(false);
    if (!result.ok) {
      setError(result.error.message);
      return;
    }
    router.push(`/chat/${room.id}`);
  }

  return (
    <li>
      <button type="button" data-testid="room-item" onClick={() => void join()} className={base} title={`Join ${room.name}`}>
        {content}
      </button>
      {error ? <p className="px-2 pb-1 text-xs text-danger">{error}</p> : null}
    </li>
  );
}

function RoomListSkeleton() {
  return (
    <div aria-hidden="true" className="flex flex-col gap-2 px-2 pt-3">
      {[72, 56, 84, 48].map((w) => (
        <div key={w} className="flex items-center gap-2">
          <div className="size-3.5 rounded bg-surface-2" />
          <div className="h-3 rounded bg-surface-2" style={{ width: `${w}%` }} />
        </div>
      ))}
    </div>
  );
}
