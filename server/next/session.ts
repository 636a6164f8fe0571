import "server-only";
import { getServerSession } from "next-auth";
import { authOptions } from "./auth-options";

export interface SessionUser {
  id: string;
  name: string;
  email: string;
  role: "USER" | "ADMIN";
}

/** The signed-in user for this request (server components and route handlers), or null. */
export async function getSession(): Promise<{ user: SessionUser } | null> {
  const session = await getServerSession(authOptions());
  const user = session?.user;
  if (!user?.id) return null;
  return { user: { id: user.id, name: user.name ?? "", email: user.email ?? "", role: user.role ?? "USER" } };
}
