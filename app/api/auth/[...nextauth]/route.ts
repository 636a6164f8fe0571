import NextAuth from "next-auth";
import { authOptions } from "@/server/next/auth-options";

type RouteContext = { params: Promise<{ nextauth: string[] }> };

// Built per request: the options read the running server's services.
async function handler(req: Request, context: RouteContext): Promise<Response> {
  const nextAuth = NextAuth(authOptions()) as (req: Request, context: RouteContext) => Promise<Response>;
  return nextAuth(req, context);
}

export { handler as GET, handler as POST };
