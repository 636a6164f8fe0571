"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useId, useState } from "react";
import { Button } from "@/components/ui/button";
import { ChevronLeftIcon, DoorIcon, HashIcon, LockIcon, MoreIcon, UsersIcon } from "@/components/ui/icons";
import { Menu } from "@/components/ui/menu";
import { ONLINE_COUNT_REFRESH_MS, type RoomSummary } from "@/lib/contract";
import { EMPTY_TIMELINE, type RoomRemoval } from "@/lib/client/chat-client";
import { useChat, useChatClient } from "@/lib/client/chat-context";
import { pluralize } from "@/lib/client/format";
import { Composer } from "./composer";
import { MemberPanel, useMemberPanel, useRoomMembers } from "./member-list";
import { MessageList } from "./message-list";
import { TypingIndicator } from "./typing-indicator";

/** undefined: not known yet (rooms loading); null: nothing was unread. */
function unreadMark(room: RoomSummary | undefined): number | null | undefined {
  if (!room?.membership) return undefined;
  return room.lastSeq > room.membership.lastReadSeq ? room.membership.lastReadSeq : null;
}

function usePageVisible(): boolean {
  const [visible, setVisible] = useState(true);
  useEffect(() => {
    const update = () => setVisible(document.visibilityState === "visible");
    update();
    document.addEventListener("visibilitychange", update);
    return () => document.removeEventListener("visibilitychange", update);
  }, []);
  return visible;
}

export function RoomView({ roomId }: { roomId: string }) {
  const client = useChatClient();
  const me = useChat((s) => s.me);
  const room = useChat((s) => s.rooms.find((r) => r.id === roomId));
  const roomsStatus = useChat((s) => s.roomsStatus);
  const timeline = useChat((s) => s.timelines[roomId] ?? EMPTY_TIMELINE);
  const connection = useChat((s) => s.connection);
  const removal = useChat((s) => s.removals[roomId]);
  const isMember = room?.membership != null;
  const [atBottom, setAtBottom] = useState(true);
  const visible = usePageVisible();
  /**
   * Where the "New" divider goes: the read mark when the room was opened, if
   * there was anything unread then (messages arriving while you watch are not "new").
   */
  const [unreadAfterSeq, setUnreadAfterSeq] = useState<number | null | undefined>(() => unreadMark(room));

  useEffect(() => {
    if (unreadAfterSeq === undefined && room?.membership) setUnreadAfterSeq(unreadMark(room));
  }, [unreadAfterSeq, room]);

  // The member list on screen is the one a reconnect reloads (the others load again when shown).
  useEffect(() => client?.showMembers(roomId), [client, roomId]);

  // Load the latest messages and the member list once we are a member and connected (again after errors).
  useEffect(() => {
    if (isMember && connection === "connected") {
      client?.openRoom(roomId);
      client?.openMembers(roomId);
    }
  }, [client, roomId, isMember, connection]);

  const panel = useMemberPanel();
  const panelId = useId();

  // Reading the bottom of the room marks it read.
  const tipSeq = timeline.tipSeq;
  useEffect(() => {
    if (!client || !isMember || timeline.status !== "ready" || !atBottom || !visible || tipSeq === 0) return;
    client.markRead(roomId, tipSeq);
  }, [client, roomId, isMember, timeline.status, atBottom, visible, tipSeq]);

  const loadOlder = useCallback(() => void client?.loadOlder(roomId), [client, roomId]);
  const retry = useCallback(() => client?.openRoom(roomId), [client, roomId]);

  if (!room) {
    return (
      <div className="flex min-h-0 flex-1 flex-col">
        <RoomHeader room={null} members={null} />
        {roomsStatus === "ready" ? (
          <CenteredNote title="Room not found" body="It may be private, or it no longer exists.">
            <Link href="/chat" className="text-sm font-medium text-accent hover:underline">
              Back to your rooms
            </Link>
          </CenteredNote>
        ) : (
          <div className="flex-1" />
        )}
      </div>
    );
  }

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <RoomHeader
        room={room}
        members={isMember ? { open: panel.open, controls: panelId, onToggle: panel.toggle } : null}
      />
      {isMember ? (
        <div className="flex min-h-0 flex-1">
          <div className="flex min-h-0 min-w-0 flex-1 flex-col">
            <MessageList
              roomName={room.name}
              isPublic={room.isPublic}
              timeline={timeline}
              meId={me.id}
              unreadAfterSeq={unreadAfterSeq ?? null}
              onLoadOlder={loadOlder}
              onRetry={retry}
              onAtBottomChange={setAtBottom}
            />
            <TypingIndicator roomId={roomId} />
            <Composer roomId={roomId} roomName={room.name} />
          </div>
          <MemberPanel
            room={room}
            id={panelId}
            desktopOpen={panel.desktopOpen}
            drawerOpen={panel.drawerOpen}
            isDesktop={panel.isDesktop}
            onClose={panel.close}
          />
        </div>
      ) : (
        <JoinPrompt room={room} removal={removal ?? null} />
      )}
    </div>
  );
}

/**
 * "3 online · 12 members": opens the member list. A big room's list comes in
 * pages and its tab hears only the members it watches, so its count is the
 * server's, asked every ONLINE_COUNT_REFRESH_MS, and shown as approximate.
 */
function MembersButton({ room, open, controls, onToggle }: { room: RoomSummary; open: boolean; controls: string; onToggle: () => void }) {
  const client = useChatClient();
  const { state, online } = useRoomMembers(room.id);
  const paged = state?.paged === true;
  const counted = useChat((s) => s.onlineCounts[room.id]);
  useEffect(() => {
    if (!client || !paged) return;
    void client.refreshOnlineCount(room.id);
    const timer = setInterval(() => void client.refreshOnlineCount(room.id), ONLINE_COUNT_REFRESH_MS);
    return () => clearInterval(timer);
  }, [client, paged, room.id]);
  const known = paged ? counted !== undefined : state !== undefined && (state.status === "ready" || state.list.length > 0);
  const onlineCount = paged ? (counted ?? 0) : online.length;
  const total = room.memberCount;
  return (
    <button
      type="button"
      data-testid="members-toggle"
      aria-expanded={open}
      aria-controls={controls}
      title={open ? "Hide members" : "Show members"}
      onClick={onToggle}
      className={`inline-flex h-8 shrink-0 items-center gap-2 rounded-md px-2 text-[13px] transition-colors hover:bg-surface-hover hover:text-ink ${
        open ? "bg-surface-2 text-ink" : "text-ink-muted"
      }`}
    >
      {known ? (
        <span
          data-testid="online-count"
          data-count={onlineCount}
          title={paged ? "Counted by the server in the last half minute" : undefined}
          className="inline-flex items-center gap-1.5 tabular-nums"
        >
          <span aria-hidden="true" className="size-2 rounded-full bg-ok" />
          {paged ? "~" : ""}
          {onlineCount}
          <span className="hidden sm:inline"> online</span>
        </span>
      ) : null}
      {known ? <span aria-hidden="true" className="hidden text-ink-faint sm:inline">·</span> : null}
      <span className="inline-flex items-center gap-1 tabular-nums">
        <UsersIcon size={15} className="sm:hidden" />
        {total}
        <span className="hidden sm:inline"> {total === 1 ? "member" : "members"}</span>
      </span>
    </button>
  );
}

function RoomHeader({
  room,
  members,
}: {
  room: RoomSummary | null;
  members: { open: boolean; controls: string; onToggle: () => void } | null;
}) {
  const client = useChatClient();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const Icon = room?.isPublic === false ? LockIcon : HashIcon;

  async function leave() {
    if (!client || !room) return;
    const result = await client.leaveRoom(room.id);
    if (result.ok) router.push("/chat");
    else setError(result.error.message);
  }

  return (
    <header className="flex h-14 shrink-0 items-center gap-2 border-b border-line px-2 md:px-5">
      <Link
        href="/chat"
        aria-label="All rooms"
        className="inline-flex size-9 items-center justify-center rounded-md text-ink-muted hover:bg-surface-hover hover:text-ink md:hidden"
      >
        <ChevronLeftIcon size={20} />
      </Link>
      {room ? (
        <>
          <div className="flex min-w-0 flex-1 items-center gap-2">
            <Icon size={17} className="shrink-0 text-ink-faint" />
            <h1 className="truncate text-[15px] font-semibold tracking-tight">{room.name}</h1>
            {!room.isPublic ? (
              <span className="hidden rounded-md bg-surface-2 px-1.5 py-0.5 text-[11px] font-medium text-ink-muted sm:inline">Private</span>
            ) : null}
            {error ? <span className="truncate text-xs text-danger">{error}</span> : null}
          </div>
          {members ? (
            <MembersButton room={room} open={members.open} controls={members.controls} onToggle={members.onToggle} />
          ) : (
            <div className="flex shrink-0 items-center gap-1 text-[13px] text-ink-muted" title={pluralize(room.memberCount, "member")}>
              <UsersIcon size={15} />
              <span className="tabular-nums">
                {room.memberCount}
                <span className="hidden sm:inline"> {room.memberCount === 1 ? "member" : "members"}</span>
              </span>
            </div>
          )}
          {room.membership ? (
            <Menu
              label="Room actions"
              icon={<MoreIcon size={18} />}
              items={[{ label: "Leave room", icon: <DoorIcon size={15} />, danger: true, onSelect: () => void leave() }]}
            />
          ) : null}
        </>
      ) : (
        <div className="h-4 w-40 animate-pulse rounded bg-surface-2" />
      )}
    </header>
  );
}

function JoinPrompt({ room, removal }: { room: RoomSummary; removal: RoomRemoval | null }) {
  const client = useChatClient();
  const connected = useChat((s) => s.connection === "connected");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function join() {
    if (!client) return;
    setPending(true);
    setError(null);
    const result = await client.joinRoom(room.id);
    setPending(false);
    if (!result.ok) setError(result.error.message);
  }

  if (removal?.reason === "banned") {
    return (
      <CenteredNote
        title={`You are banned from ${room.name}`}
        body={`${removal.by.name} removed you from this room. You can't read or join it unless a moderator lifts the ban.`}
      />
    );
  }

  return (
    <CenteredNote
      title={removal ? `You were removed from ${room.name}` : room.isPublic ? `Join ${room.name}` : `${room.name} is private`}
      body={
        removal
          ? `${removal.by.name} removed you from this room.${room.isPublic ? " You can join it again." : ""}`
          : room.isPublic
            ? `${pluralize(room.memberCount, "member")} ${room.memberCount === 1 ? "is" : "are"} talking here. Join to read the history and send messages.`
            : "Ask a member to invite you."
      }
    >
      {room.isPublic ? (
        <Button onClick={() => void join()} loading={pending} disabled={!connected}>
          Join room
        </Button>
      ) : null}
      {error ? <p className="text-sm text-danger">{error}</p> : null}
    </CenteredNote>
  );
}

function CenteredNote({ title, body, children }: { title: string; body: string; children?: React.ReactNode }) {
  return (
    <div className="flex flex-1 items-center justify-center p-8">
      <div className="animate-in flex max-w-sm flex-col items-center gap-3 text-center">
        <h2 className="text-lg font-semibold tracking-tight">{title}</h2>
        <p className="text-sm leading-6 text-ink-muted">{body}</p>
        {children}
      </div>
    </div>
  );
}
