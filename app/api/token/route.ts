import { getAppContext } from "@/server/next/context";
import { errorResponse, handleRoute, readJson } from "@/server/next/http";
import { getSession } from "@/server/next/session";

const noStore = { "cache-control": "no-store" };

// A short-lived socket token for the signed-in browser session.
export function GET(): Promise<Response> {
  return handleRoute(async () => {
    const session = await getSession();
    if (!session) return errorResponse("unauthorized", "Sign in first");
    const { services } = getAppContext();
    // The account may have been deleted since the session cookie was issued.
    const user = await services.users.findById(session.user.id);
    if (!user) return errorResponse("unauthorized", "This account no longer exists");
    if (await services.moderation.isUserBanned(user.id)) return errorResponse("banned", "This account has been suspended");
    return Response.json(await services.tokens.issue(user), { headers: noStore });
  });
}

// For scripts, bots and load tests: POST { email, password } -> { token, expiresAt }.
export function POST(req: Request): Promise<Response> {
  return handleRoute(async () => {
    const { services } = getAppContext();
    const user = await services.users.verifyCredentials(await readJson(req));
    if (!user) return errorResponse("unauthorized", "Wrong email or password");
    if (await services.moderation.isUserBanned(user.id)) return errorResponse("banned", "This account has been suspended");
    return Response.json(await services.tokens.issue(user), { headers: noStore });
  });
}
