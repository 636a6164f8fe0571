import { getAppContext } from "@/server/next/context";

export const dynamic = "force-dynamic";

// Liveness: the process is up and serving HTTP. Never touches dependencies.
export function GET(): Response {
  return Response.json({ status: "ok", node: getAppContext().env.NODE_ID }, { headers: { "cache-control": "no-store" } });
}
