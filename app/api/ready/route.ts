import { getAppContext } from "@/server/next/context";

export const dynamic = "force-dynamic";

// Readiness: 200 while the database answers (status "degraded" if only Redis is
// down: the node still serves its own clients), 503 otherwise.
export async function GET(): Promise<Response> {
  const readiness = await getAppContext().readiness();
  return Response.json(readiness, {
    status: readiness.status === "unavailable" ? 503 : 200,
    headers: { "cache-control": "no-store" },
  });
}
