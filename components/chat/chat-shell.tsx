"use client";

import { useParams } from "next/navigation";
import { SessionProvider, signOut, useSession } from "next-auth/react";
import { useEffect, type ReactNode } from "react";
import type { UserRef } from "@/lib/contract";
import { ChatProvider, useChat } from "@/lib/client/chat-context";
import { Sidebar, unreadCount } from "./sidebar";

function goToSignIn(reason: "signed_out" | "banned") {
  // Clears the (now useless) session cookie too, then lands on /sign-in.
  void signOut({ callbackUrl: reason === "banned" ? "/sign-in?notice=suspended" : "/sign-in" });
}

export function ChatShell({
  me,
  role,
  email,
  presenceRoomWideMaxMembers,
  children,
}: {
  me: UserRef;
  role: "USER" | "ADMIN";
  email: string;
  /** The server's PRESENCE_ROOM_WIDE_MAX_MEMBERS. */
  presenceRoomWideMaxMembers: number;
  children: ReactNode;
}) {
  return (
    <SessionProvider refetchOnWindowFocus>
      <ChatProvider me={me} role={role} onSignedOut={goToSignIn} presenceRoomWideMaxMembers={presenceRoomWideMaxMembers}>
        <SessionWatcher />
        <ShellLayout email={email}>{children}</ShellLayout>
      </ChatProvider>
    </SessionProvider>
  );
}

/**
 * Signed out in another tab (next-auth tells every tab) or the session expired:
 * leave the chat. next-auth also reports "unauthenticated" when it merely could
 * not reach the server, so confirm before leaving.
 */
function SessionWatcher() {
  const { status } = useSession();
  useEffect(() => {
    if (status !== "unauthenticated") return;
    let cancelled = false;
    fetch("/api/auth/session", { cache: "no-store" })
      .then(async (res) => {
        if (!res.ok) return;
        const body: unknown = await res.json();
        const signedIn = typeof body === "object" && body !== null && "user" in body;
        if (!signedIn && !cancelled) window.location.assign("/sign-in");
      })
      .catch(() => {
        // Server unreachable: the connection indicator already says so.
      });
    return () => {
      cancelled = true;
    };
  }, [status]);
  return null;
}

/** "(3) design · Parley": the open room and the unread count elsewhere, in the tab title. */
function DocumentTitle({ activeRoomId }: { activeRoomId: string | null }) {
  const rooms = useChat((s) => s.rooms);
  const total = rooms.reduce((sum, r) => sum + (r.id === activeRoomId ? 0 : unreadCount(r)), 0);
  const roomName = rooms.find((r) => r.id === activeRoomId)?.name;
  useEffect(() => {
    const prefix = total > 0 ? `(${total > 99 ? "99+" : total}) ` : "";
    document.title = `${prefix}${roomName ? `${roomName} · ` : ""}Parley`;
  }, [total, roomName]);
  return null;
}

function ShellLayout({ email, children }: { email: string; children: ReactNode }) {
  const params = useParams<{ roomId?: string }>();
  const activeRoomId = typeof params.roomId === "string" ? decodeURIComponent(params.roomId) : null;
  return (
    <div className="flex h-dvh min-h-0 w-full overflow-hidden bg-canvas text-ink">
      <DocumentTitle activeRoomId={activeRoomId} />
      {/* On phones the room list is its own screen: shown at /chat, hidden inside a room. */}
      <aside
        className={`min-h-0 w-full shrink-0 border-line bg-surface md:flex md:w-[272px] md:border-r ${
          activeRoomId ? "hidden" : "flex"
        } flex-col`}
      >
        <Sidebar activeRoomId={activeRoomId} email={email} />
      </aside>
      <main className={`min-h-0 min-w-0 flex-1 flex-col md:flex ${activeRoomId ? "flex" : "hidden"}`}>{children}</main>
    </div>
  );
}
