"use client";
// React bindings for the ChatClient: one client (one socket) per tab, shared by
// every component under <ChatProvider>, read through useSyncExternalStore.
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from "react";
import type { UserRef } from "@/lib/contract";
import { ChatClient, initialChatState, type ChatState } from "./chat-client";

type AccountRole = "USER" | "ADMIN";

let shared: { client: ChatClient; role: AccountRole; stopTimer: ReturnType<typeof setTimeout> | null } | null = null;

type SignedOutHandler = (reason: "signed_out" | "banned") => void;

function sharedClient(me: UserRef, role: AccountRole, onSignedOut: SignedOutHandler, presenceRoomWideMaxMembers?: number): ChatClient {
  if (shared && shared.client.me.id === me.id && shared.role === role) return shared.client;
  if (shared) {
    if (shared.stopTimer) clearTimeout(shared.stopTimer);
    shared.client.stop();
  }
  shared = { client: new ChatClient({ me, role, onSignedOut, presenceRoomWideMaxMembers }), role, stopTimer: null };
  return shared.client;
}

interface ChatContextValue {
  client: ChatClient | null;
  serverState: ChatState;
}

const ChatContext = createContext<ChatContextValue | null>(null);

export function ChatProvider({
  me,
  role = "USER",
  onSignedOut,
  presenceRoomWideMaxMembers,
  children,
}: {
  me: UserRef;
  /** The account's role: admins moderate every room. */
  role?: AccountRole;
  onSignedOut: SignedOutHandler;
  /** The server's PRESENCE_ROOM_WIDE_MAX_MEMBERS (default: the contract's). */
  presenceRoomWideMaxMembers?: number;
  children: ReactNode;
}) {
  // No socket during server rendering; the first client render hydrates from `serverState`.
  const [value] = useState<ChatContextValue>(() => ({
    client: typeof window === "undefined" ? null : sharedClient(me, role, onSignedOut, presenceRoomWideMaxMembers),
    serverState: initialChatState(me, role === "ADMIN"),
  }));

  useEffect(() => {
    const client = value.client;
    if (!client) return;
    if (shared?.client === client && shared.stopTimer) {
      clearTimeout(shared.stopTimer);
      shared.stopTimer = null;
    }
    client.start();
    return () => {
      // Deferred so a remount (Strict Mode, fast refresh) keeps the same connection.
      if (shared?.client !== client) return client.stop();
      const entry = shared;
      entry.stopTimer = setTimeout(() => {
        entry.stopTimer = null;
        client.stop();
      }, 250);
    };
  }, [value.client]);

  return <ChatContext.Provider value={value}>{children}</ChatContext.Provider>;
}

function useChatContext(): ChatContextValue {
  const value = useContext(ChatContext);
  if (!value) throw new Error("useChat* hooks must be used inside <ChatProvider>");
  return value;
}

const noopSubscribe = () => () => {};

/** Selects a slice of the chat state. The selector must return existing objects, not new ones. */
export function useChat<T>(selector: (state: ChatState) => T): T {
  const { client, serverState } = useChatContext();
  return useSyncExternalStore(
    client?.subscribe ?? noopSubscribe,
    () => selector(client ? client.getState() : serverState),
    () => selector(serverState),
  );
}

/**
 * The client, for actions from event handlers and effects. Null only during
 * server rendering, where no handler or effect runs.
 */
export function useChatClient(): ChatClient | null {
  return useChatContext().client;
}
