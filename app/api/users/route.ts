import { getAppContext } from "@/server/next/context";
import { handleRoute, readJson } from "@/server/next/http";

// Sign-up: POST { email, name, password } -> 201 { user }.
export function POST(req: Request): Promise<Response> {
  return handleRoute(async () => {
    const user = await getAppContext().services.users.signUp(await readJson(req));
    return Response.json({ user: { id: user.id, email: user.email, name: user.name } }, { status: 201 });
  });
}
