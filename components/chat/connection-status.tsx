"use client";

import { useChat } from "@/lib/client/chat-context";
import type { ConnectionState } from "@/lib/client/chat-client";

const LABEL: Record<ConnectionState, string> = {
  connected: "Connected",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

const DOT: Record<ConnectionState, string> = {
  connected: "bg-ok",
  connecting: "bg-warn animate-pulse",
  reconnecting: "bg-warn animate-pulse",
  offline: "bg-danger",
};

/** `data-state` is connected | connecting | offline (reconnecting counts as connecting). */
export function ConnectionStatus() {
  const connection = useChat((s) => s.connection);
  const detail = useChat((s) => s.connectionDetail);
  const dataState = connection === "reconnecting" ? "connecting" : connection;
  return (
    <div
      data-testid="connection-status"
      data-state={dataState}
      data-detail={connection}
      role="status"
      aria-live="polite"
      title={detail ?? LABEL[connection]}
      className="inline-flex h-6 items-center gap-1.5 rounded-full border border-line bg-elevated px-2 text-[11px] font-medium text-ink-muted"
    >
      <span aria-hidden="true" className={`size-1.5 rounded-full ${DOT[connection]}`} />
      {LABEL[connection]}
    </div>
  );
}
