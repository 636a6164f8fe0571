import { AppError } from "./errors";

/** Where a page of members ends: the members are ordered by name, then id. */
export interface MemberKey {
  name: string;
  id: string;
}

/**
 * The `next` cursor of a `room:members` page: the last member's sort key,
 * opaque to clients (base64url JSON), so the order can change without a
 * contract change. A key, not an offset: members joining or leaving while a
 * client pages neither skip nor repeat anyone else.
 */
export function encodeMemberCursor(key: MemberKey): string {
  return Buffer.from(JSON.stringify([key.name, key.id]), "utf8").toString("base64url");
}

/** The key in a cursor; `invalid_payload` for anything this server did not make. */
export function decodeMemberCursor(cursor: string): MemberKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || !parsed.every((part) => typeof part === "string")) {
    throw new AppError("invalid_payload", "That member list cursor is not valid: load the list again");
  }
  const [name, id] = parsed as [string, string];
  return { name, id };
}
