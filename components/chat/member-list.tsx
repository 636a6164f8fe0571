"use client";

import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type RefObject } from "react";
import { Avatar } from "@/components/ui/avatar";
import { Button, IconButton } from "@/components/ui/button";
import { BanIcon, MicIcon, MicOffIcon, MoreIcon, RetryIcon, UserMinusIcon, XIcon } from "@/components/ui/icons";
import { Menu, type MenuItem } from "@/components/ui/menu";
import { PRESENCE_WATCH_MAX, type PresenceStatus, type RoomRole, type RoomSummary } from "@/lib/contract";
import { memberNameMatches, type MemberEntry, type PresenceEntry, type RoomMembersState } from "@/lib/client/chat-client";
import { useChat, useChatClient } from "@/lib/client/chat-context";
import { formatAgo, formatTime } from "@/lib/client/format";
import { MemberSearch, MoreMembers, NoMatch } from "./member-list-tools";

// ------------------------------------------------------------------ data

export interface MemberView extends MemberEntry {
  status: PresenceStatus;
  lastSeenAt: string | null;
  /** ISO end of a mute announced while this tab was open. */
  mutedUntil: string | null;
}

const RANK: Record<RoomRole, number> = { MEMBER: 0, MODERATOR: 1, OWNER: 2 };
const EMPTY_MUTES: Readonly<Record<string, string>> = {};

function byName(a: MemberView, b: MemberView): number {
  return a.name.localeCompare(b.name, undefined, { sensitivity: "base" }) || a.id.localeCompare(b.id);
}

/**
 * The room's members with their status: online (and away) first, then
 * offline; and all of them by name (how a big room's list is shown, see
 * RoomMembersState.paged).
 */
export function useRoomMembers(roomId: string): {
  state: RoomMembersState | undefined;
  online: MemberView[];
  offline: MemberView[];
  byName: MemberView[];
} {
  const state = useChat((s) => s.members[roomId]);
  const presence = useChat((s) => s.presence);
  const mutes = useChat((s) => s.memberMutes[roomId] ?? EMPTY_MUTES);
  return useMemo(() => {
    const online: MemberView[] = [];
    const offline: MemberView[] = [];
    const all: MemberView[] = [];
    for (const m of state?.list ?? []) {
      const p: PresenceEntry | undefined = presence[m.id];
      const view: MemberView = {
        ...m,
        status: p?.status ?? "offline",
        lastSeenAt: p?.lastSeenAt ?? null,
        mutedUntil: mutes[m.id] ?? null,
      };
      (view.status === "offline" ? offline : online).push(view);
      if (state?.paged) all.push(view);
    }
    return { state, online: online.sort(byName), offline: offline.sort(byName), byName: all.sort(byName) };
  }, [state, presence, mutes]);
}

/** Re-renders every `ms` so relative times ("5 min ago") and mute ends stay true. */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** At most one watch per this many ms while rows move (scrolling, statuses reordering them): one watch, not fifty. */
const WATCH_THROTTLE_MS = 300;

/**
 * In a big room (ChatClient.watchesPresenceIn) the server sends presence
 * changes only for the members a tab watches: watch the rows on screen and a
 * screenful above and below; then, up to the limit, the members shown online
 * (a row that comes online jumps to the top, out of view, and must not freeze
 * there). A closed panel shows no rows, so it watches nobody; leaving the room
 * view stops watching.
 */
function useWatchShownMembers(roomId: string, enabled: boolean, container: RefObject<HTMLElement | null>, online: readonly MemberView[]) {
  const client = useChatClient();
  const shown = useRef(new Set<string>());
  const latestOnline = useRef(online);
  latestOnline.current = online;
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  // Throttled, not debounced: in a busy room the rows re-render more often than
  // every 300 ms, and a debounce would never fire.
  const schedule = useCallback(() => {
    if (!client || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      const ids = [...shown.current].sort();
      for (const m of latestOnline.current) if (ids.length < PRESENCE_WATCH_MAX && !shown.current.has(m.id)) ids.push(m.id);
      client.watchPresence(roomId, ids);
    }, WATCH_THROTTLE_MS);
  }, [client, roomId]);

  useEffect(() => {
    const root = container.current;
    if (!client || !enabled || !root) return;
    // A new observer reports every row it observes at once: start from nothing.
    shown.current = new Set();
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const id = (entry.target as HTMLElement).dataset.userId;
          if (!id) continue;
          if (entry.isIntersecting) shown.current.add(id);
          else shown.current.delete(id);
        }
        schedule();
      },
      { root, rootMargin: "100% 0px" },
    );
    // Re-run when the rows change (`online` is a new array whenever statuses reorder them or members come and go).
    for (const row of root.querySelectorAll<HTMLElement>("[data-user-id]")) observer.observe(row);
    return () => observer.disconnect();
  }, [client, enabled, container, online, schedule]);

  useEffect(() => {
    if (!client || !enabled) return;
    return () => {
      clearTimeout(timer.current);
      timer.current = undefined;
      client.watchPresence(roomId, []);
    };
  }, [client, roomId, enabled]);
}

// ------------------------------------------------------------------ open / closed

const PREF_KEY = "parley:members-panel";
const DESKTOP = "(min-width: 768px)";
/** With no saved choice, the panel starts open on screens this wide. */
const WIDE = "(min-width: 1200px)";
const prefListeners = new Set<() => void>();

function readPref(): "open" | "closed" | null {
  try {
    const v = window.localStorage.getItem(PREF_KEY);
    return v === "open" || v === "closed" ? v : null;
  } catch {
    return null;
  }
}

function subscribePref(listener: () => void): () => void {
  prefListeners.add(listener);
  const onStorage = (e: StorageEvent) => {
    if (e.key === PREF_KEY) listener();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    prefListeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (listener) => {
      const list = window.matchMedia(query);
      list.addEventListener("change", listener);
      return () => list.removeEventListener("change", listener);
    },
    () => window.matchMedia(query).matches,
    () => false,
  );
}

/**
 * Whether the member panel is open. On wide screens it is a column beside the
 * messages and the choice is remembered; on phones it is a drawer that starts
 * closed in every room.
 */
export function useMemberPanel() {
  const isDesktop = useMediaQuery(DESKTOP);
  const isWide = useMediaQuery(WIDE);
  const pref = useSyncExternalStore(subscribePref, readPref, () => "closed" as const);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const desktopOpen = pref === null ? isWide : pref === "open";

  const setDesktop = useCallback((open: boolean) => {
    try {
      window.localStorage.setItem(PREF_KEY, open ? "open" : "closed");
    } catch {
      // Storage disabled: not remembered.
    }
    for (const listener of prefListeners) listener();
  }, []);

  const toggle = useCallback(() => {
    if (window.matchMedia(DESKTOP).matches) setDesktop(!desktopOpen);
    else setDrawerOpen((v) => !v);
  }, [desktopOpen, setDesktop]);

  const close = useCallback(() => {
    if (window.matchMedia(DESKTOP).matches) setDesktop(false);
    else setDrawerOpen(false);
  }, [setDesktop]);

  return { isDesktop, desktopOpen, drawerOpen, open: isDesktop ? desktopOpen : drawerOpen, toggle, close };
}

// ------------------------------------------------------------------ panel

export function MemberPanel({
  room,
  id,
  desktopOpen,
  drawerOpen,
  isDesktop,
  onClose,
}: {
  room: RoomSummary;
  id: string;
  desktopOpen: boolean;
  drawerOpen: boolean;
  isDesktop: boolean;
  onClose: () => void;
}) {
  const client = useChatClient();
  const me = useChat((s) => s.me);
  const isAdmin = useChat((s) => s.isAdmin);
  const { state, online, offline, byName: everyone } = useRoomMembers(room.id);
  // A whole list is searched here; a paged one on the server (ChatClient.searchMembers).
  const [localSearch, setLocalSearch] = useState({ roomId: room.id, text: "" });
  const localText = localSearch.roomId === room.id ? localSearch.text : "";
  const shown = useMemo(() => {
    if (!localText) return { online, offline };
    const matches = (m: MemberView) => memberNameMatches(m.name, localText);
    return { online: online.filter(matches), offline: offline.filter(matches) };
  }, [online, offline, localText]);
  const now = useNow(30_000);
  const closeRef = useRef<HTMLButtonElement>(null);
  const [confirm, setConfirm] = useState<{ kind: "kick" | "ban"; member: MemberView } | null>(null);
  const [notice, setNotice] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const myRole = room.membership?.role ?? null;
  const asDrawer = !isDesktop && drawerOpen;
  const listRef = useRef<HTMLDivElement>(null);
  const watches = client?.watchesPresenceIn(room.memberCount) ?? false;
  useWatchShownMembers(room.id, watches && (isDesktop ? desktopOpen : drawerOpen), listRef, online);

  // The drawer takes the focus on phones, and Escape closes it.
  useEffect(() => {
    if (asDrawer) closeRef.current?.focus();
  }, [asDrawer]);

  useEffect(() => {
    if (notice?.tone !== "ok") return;
    const timer = setTimeout(() => setNotice(null), 4_000);
    return () => clearTimeout(timer);
  }, [notice]);

  const canModerate = useCallback(
    (m: MemberView) => {
      if (m.id === me.id) return false;
      if (isAdmin) return true;
      if (!myRole || myRole === "MEMBER") return false;
      return RANK[m.role] < RANK[myRole];
    },
    [me.id, isAdmin, myRole],
  );

  async function run(action: () => Promise<{ ok: true } | { ok: false; error: { message: string } }>, done: string, failed: string) {
    setBusy(true);
    const result = await action();
    setBusy(false);
    setConfirm(null);
    setNotice(result.ok ? { tone: "ok", text: done } : { tone: "error", text: `${failed}: ${result.error.message}` });
  }

  function mute(m: MemberView, minutes: number) {
    if (!client) return;
    const label = minutes === 0 ? "" : minutes < 60 ? `${minutes} minutes` : `${minutes / 60} hour${minutes === 60 ? "" : "s"}`;
    void run(
      () => client.muteMember(room.id, m.id, minutes),
      minutes === 0 ? `${m.name} can write again.` : `${m.name} is muted for ${label}.`,
      minutes === 0 ? `Couldn't unmute ${m.name}` : `Couldn't mute ${m.name}`,
    );
  }

  function menuFor(m: MemberView): MenuItem[] {
    const muted = m.mutedUntil !== null && Date.parse(m.mutedUntil) > now;
    const unmute: MenuItem = { label: "Unmute", icon: <MicIcon size={15} />, onSelect: () => mute(m, 0) };
    const mutes: MenuItem[] = [
      { label: "Mute for 10 minutes", icon: <MicOffIcon size={15} />, onSelect: () => mute(m, 10) },
      { label: "Mute for 1 hour", icon: <MicOffIcon size={15} />, onSelect: () => mute(m, 60) },
    ];
    // Someone muted: lifting it comes first.
    return [
      ...(muted ? [unmute, ...mutes] : [...mutes, unmute]),
      {
        label: "Remove from room",
        icon: <UserMinusIcon size={15} />,
        danger: true,
        separatorBefore: true,
        onSelect: () => {
          setNotice(null);
          setConfirm({ kind: "kick", member: m });
        },
      },
      {
        label: "Ban from room",
        icon: <BanIcon size={15} />,
        danger: true,
        onSelect: () => {
          setNotice(null);
          setConfirm({ kind: "ban", member: m });
        },
      },
    ];
  }

  const renderMember = (m: MemberView) => (
    <MemberRow
      key={m.id}
      member={m}
      isMe={m.id === me.id}
      now={now}
      menu={canModerate(m) ? menuFor(m) : null}
      confirming={confirm?.member.id === m.id ? confirm.kind : null}
      roomName={room.name}
      isPublic={room.isPublic}
      busy={busy}
      onCancel={() => setConfirm(null)}
      onConfirm={() => {
        if (!client || !confirm) return;
        const { kind, member } = confirm;
        void run(
          () => (kind === "ban" ? client.banMember(room.id, member.id) : client.kickMember(room.id, member.id)),
          kind === "ban" ? `${member.name} was banned from ${room.name}.` : `${member.name} was removed from ${room.name}.`,
          kind === "ban" ? `Couldn't ban ${member.name}` : `Couldn't remove ${member.name}`,
        );
      }}
    />
  );

  const total = (!state?.paged && state?.list.length) || room.memberCount;

  return (
    <>
      {asDrawer ? <div aria-hidden="true" onClick={onClose} className="fixed inset-0 z-30 bg-black/40 md:hidden" /> : null}
      <aside
        id={id}
        data-testid="member-list"
        role={asDrawer ? "dialog" : "complementary"}
        aria-modal={asDrawer ? true : undefined}
        aria-label={`Members of ${room.name}`}
        onKeyDown={(e) => {
          if (e.key === "Escape" && asDrawer) {
            e.preventDefault();
            onClose();
          }
        }}
        className={`${drawerOpen ? "flex" : "hidden"} ${desktopOpen ? "md:flex" : "md:hidden"} fixed inset-y-0 right-0 z-40 w-[min(320px,86vw)] min-h-0 flex-col border-l border-line bg-surface shadow-pop md:static md:z-auto md:w-64 md:shrink-0 md:shadow-none`}
      >
        <div className="flex h-14 shrink-0 items-center gap-2 border-b border-line pl-4 pr-2 md:h-12">
          <h2 className="flex-1 text-sm font-semibold tracking-tight">
            Members <span className="font-normal tabular-nums text-ink-faint">{total}</span>
          </h2>
          <IconButton ref={closeRef} label="Close member list" onClick={onClose}>
            <XIcon size={16} />
          </IconButton>
        </div>

        {notice ? (
          <div
            role={notice.tone === "error" ? "alert" : "status"}
            data-testid="moderation-notice"
            className={`mx-3 mt-3 flex items-start gap-2 rounded-lg px-3 py-2 text-[12.5px] leading-5 ${
              notice.tone === "error" ? "bg-danger-soft text-danger" : "bg-accent-soft text-accent-soft-ink"
            }`}
          >
            <span className="flex-1">{notice.text}</span>
            <button type="button" aria-label="Dismiss" onClick={() => setNotice(null)} className="-mr-1 rounded p-0.5 opacity-70 hover:opacity-100">
              <XIcon size={13} />
            </button>
          </div>
        ) : null}

        {state ? (
          <MemberSearch
            key={room.id}
            roomName={room.name}
            initial={state.paged ? state.search : localText}
            onSearch={(text) => (state.paged ? client?.searchMembers(room.id, text) : setLocalSearch({ roomId: room.id, text: text.trim() }))}
          />
        ) : null}

        <div ref={listRef} className="scroll-thin min-h-0 flex-1 overflow-y-auto px-2 pb-4">
          {!state || (state.status === "loading" && state.list.length === 0) ? (
            <MembersSkeleton />
          ) : state.status === "error" && state.list.length === 0 ? (
            <div className="flex flex-col items-start gap-2 px-2 py-4 text-[13px] text-ink-muted">
              <p>Couldn&apos;t load the members{state.error ? `: ${state.error.message}` : ""}.</p>
              <Button variant="secondary" size="sm" onClick={() => client?.openMembers(room.id)}>
                <RetryIcon size={13} /> Try again
              </Button>
            </div>
          ) : state.paged ? (
            <>
              <Section title={state.search ? `Names with “${state.search}”` : "Members"} count={state.search ? everyone.length : room.memberCount}>
                {state.search && everyone.length === 0 && state.status === "ready" ? (
                  <NoMatch search={state.search} />
                ) : (
                  everyone.map(renderMember)
                )}
              </Section>
              {state.next || state.status === "error" ? (
                <MoreMembers
                  state={state}
                  root={listRef}
                  // Without a next page, the failure was the first page's: load it again.
                  onMore={() => (state.next ? client?.loadMoreMembers(room.id) : client?.openMembers(room.id))}
                />
              ) : null}
            </>
          ) : localText && shown.online.length + shown.offline.length === 0 ? (
            <NoMatch search={localText} />
          ) : (
            <>
              {!localText || shown.online.length > 0 ? (
                <Section title="Online" count={shown.online.length}>
                  {shown.online.length === 0 ? (
                    <p className="px-2 py-1 text-[12.5px] text-ink-faint">Nobody else is here right now.</p>
                  ) : (
                    shown.online.map(renderMember)
                  )}
                </Section>
              ) : null}
              {shown.offline.length > 0 ? (
                <Section title="Offline" count={shown.offline.length}>
                  {shown.offline.map(renderMember)}
                </Section>
              ) : null}
            </>
          )}
        </div>
      </aside>
    </>
  );
}

function Section({ title, count, children }: { title: string; count: number; children: React.ReactNode }) {
  return (
    <section className="mt-3">
      <h3 className="px-2 pb-1 text-[11px] font-semibold uppercase tracking-wider text-ink-faint">
        {title} <span className="tabular-nums">— {count}</span>
      </h3>
      <ul className="flex flex-col gap-px">{children}</ul>
    </section>
  );
}

const STATUS_TEXT: Record<PresenceStatus, string> = { online: "Online", away: "Away", offline: "Offline" };

export function PresenceDot({ status, className = "" }: { status: PresenceStatus; className?: string }) {
  const color = status === "online" ? "bg-ok" : status === "away" ? "bg-warn" : "bg-ink-faint";
  return <span aria-hidden="true" data-presence={status} className={`block size-2.5 rounded-full ring-2 ring-surface ${color} ${className}`} />;
}

function MemberRow({
  member,
  isMe,
  now,
  menu,
  confirming,
  roomName,
  isPublic,
  busy,
  onCancel,
  onConfirm,
}: {
  member: MemberView;
  isMe: boolean;
  now: number;
  menu: MenuItem[] | null;
  confirming: "kick" | "ban" | null;
  roomName: string;
  isPublic: boolean;
  busy: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const { status } = member;
  const muted = member.mutedUntil !== null && Date.parse(member.mutedUntil) > now;
  const detail =
    status === "offline"
      ? member.lastSeenAt
        ? `Last seen ${formatAgo(member.lastSeenAt, now)}`
        : "Offline"
      : STATUS_TEXT[status];

  return (
    <li
      data-testid="member"
      data-status={status}
      data-user-id={member.id}
      data-name={member.name}
      data-muted={muted ? "true" : undefined}
      className="rounded-md"
    >
      <div className="group flex items-center gap-2.5 rounded-md px-2 py-1.5 hover:bg-surface-hover">
        <div className={`relative shrink-0 ${status === "offline" ? "opacity-55" : ""}`}>
          <Avatar id={member.id} name={member.name} size={30} />
          <PresenceDot status={status} className="absolute -bottom-0.5 -right-0.5" />
        </div>
        <div className="min-w-0 flex-1">
          <div className="flex min-w-0 items-center gap-1.5">
            <span className={`truncate text-[13.5px] font-medium leading-5 ${status === "offline" ? "text-ink-muted" : "text-ink"}`}>
              {member.name}
            </span>
            {isMe ? <span className="shrink-0 text-[11.5px] text-ink-faint">(you)</span> : null}
            {member.role !== "MEMBER" ? (
              <span className="shrink-0 rounded bg-accent-soft px-1 py-px text-[10.5px] font-semibold leading-4 text-accent-soft-ink">
                {member.role === "OWNER" ? "Owner" : "Mod"}
              </span>
            ) : null}
            {muted && member.mutedUntil ? (
              <span
                data-testid="muted-badge"
                title={`Muted until ${formatTime(member.mutedUntil)}`}
                className="inline-flex shrink-0 items-center gap-0.5 rounded bg-warn-soft px-1 py-px text-[10.5px] font-semibold leading-4 text-warn"
              >
                <MicOffIcon size={11} />
                Muted
              </span>
            ) : null}
          </div>
          <div className="truncate text-[11.5px] leading-4 text-ink-faint">{detail}</div>
        </div>
        {menu ? (
          <Menu
            label={`Moderate ${member.name}`}
            icon={<MoreIcon size={16} />}
            items={menu}
            testId="member-actions"
            triggerClassName="!size-7 md:opacity-0 md:group-hover:opacity-100 md:focus-visible:opacity-100 aria-expanded:opacity-100"
          />
        ) : null}
      </div>
      {confirming ? (
        <div role="alertdialog" aria-label={confirming === "ban" ? `Ban ${member.name}` : `Remove ${member.name}`} className="animate-in mx-1 mb-1.5 mt-0.5 rounded-lg border border-line bg-elevated p-2.5 text-[12.5px] leading-5 shadow-xs">
          <p className="text-ink-muted">
            {confirming === "ban"
              ? `Ban ${member.name} from ${roomName}? They are removed at once and can't join again until the ban is lifted.`
              : `Remove ${member.name} from ${roomName}?${isPublic ? " They can join again later." : ""}`}
          </p>
          <div className="mt-2 flex justify-end gap-1.5">
            <Button variant="ghost" size="sm" onClick={onCancel}>
              Cancel
            </Button>
            <Button variant="danger" size="sm" loading={busy} onClick={onConfirm} autoFocus>
              {confirming === "ban" ? "Ban" : "Remove"}
            </Button>
          </div>
        </div>
      ) : null}
    </li>
  );
}

function MembersSkeleton() {
  return (
    <div aria-hidden="true" className="flex flex-col gap-3 px-2 pt-4">
      {[64, 48, 72, 40].map((w) => (
        <div key={w} className="flex items-center gap-2.5">
          <div className="size-[30px] animate-pulse rounded-lg bg-surface-2" />
          <div className="flex flex-1 flex-col gap-1.5">
            <div className="h-2.5 animate-pulse rounded bg-surface-2" style={{ width: `${w}%` }} />
            <div className="h-2 w-12 animate-pulse rounded bg-surface-2" />
          </div>
        </div>
      ))}
    </div>
  );
}
