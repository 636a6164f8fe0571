import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { ChatShell } from "@/components/chat/chat-shell";
import { getAppContext } from "@/server/next/context";
import { getSession } from "@/server/next/session";

export const dynamic = "force-dynamic";

export default async function ChatLayout({ children }: { children: ReactNode }) {
  const session = await getSession();
  if (!session) redirect("/sign-in");
  const { id, name, email, role } = session.user;
  return (
    <ChatShell me={{ id, name }} role={role} email={email} presenceRoomWideMaxMembers={getAppContext().env.PRESENCE_ROOM_WIDE_MAX_MEMBERS}>
      {children}
    </ChatShell>
  );
}
