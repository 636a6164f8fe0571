/** Longest message body, in characters (UTF-16 code units, as JS counts). */
export const MAX_BODY_LENGTH = 4_000;
export const MAX_ROOM_NAME_LENGTH = 48;
/** Page size bounds for `room:history` and `room:sync`. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/**
 * `room:members` pages: at most this many members per answer (also the default,
 * so a room up to this size comes whole, in one call).
 */
export const MEMBERS_PAGE_MAX = 1_000;
/**
 * The page the browser asks for in rooms bigger than MEMBERS_PAGE_MAX, as the
 * list scrolls: a few screenfuls. One call costs the server in proportion to
 * its page (a room of 10,000 in one answer was 1.2 MB and 150-190 ms here),
 * and every tab showing the room asks again after a reconnect.
 */
export const MEMBERS_SCROLL_PAGE = 100;
/**
 * How old a `room:online` count may be. Counting reads every member's status
 * (a room of 10,000 is 10,000 presence reads), so a node counts a room at most
 * this often, whoever asks (joins and leaves included). The
 * browser asks every ONLINE_COUNT_REFRESH_MS while it shows a big room.
 */
export const ONLINE_COUNT_TTL_MS = 10_000;
export const ONLINE_COUNT_REFRESH_MS = 30_000;
/** Longest `room:members` search (a part of a member's name). */
export const MEMBER_SEARCH_MAX_LENGTH = 64;
/** Largest payload the server reads from a socket, in bytes (the socket is dropped above it). */
export const MAX_SOCKET_PAYLOAD_BYTES = 64 * 1024;

/**
 * Typing indicator timings (milliseconds). Clients send `typing:start` at most
 * once per TYPING_THROTTLE_MS while the user types, and `typing:stop` on send,
 * on clearing the input and on blur. The server ends a typing state that has
 * not been refreshed for TYPING_SERVER_EXPIRE_MS (and when the socket closes);
 * receivers drop a `typing: true` not refreshed for TYPING_RECEIVER_EXPIRE_MS,
 * in case the `typing: false` never arrives (the typist's server crashed).
 */
export const TYPING_THROTTLE_MS = 2_500;
export const TYPING_SERVER_EXPIRE_MS = 5_000;
export const TYPING_RECEIVER_EXPIRE_MS = 6_000;

/**
 * Presence in big rooms is by subscription. In a room of up to this many
 * members every member hears every member's status changes (coalesced, but a
 * storm of N arrivals is still N^2 changes on the wire). In a bigger room only
 * the sockets that asked with `presence:watch` hear a member's changes: the
 * members a client shows, as large chat products do. Why 5,000: below it the
 * coalesced room-wide batches cost the server less CPU than one packet per
 * watcher (README, "Big rooms"). Servers read it from the environment
 * (PRESENCE_ROOM_WIDE_MAX_MEMBERS) and tell the browser.
 */
export const PRESENCE_ROOM_WIDE_MAX_MEMBERS = 5_000;
/** Most users one socket may watch (`presence:watch`): about a screenful of member rows, with margin. */
export const PRESENCE_WATCH_MAX = 100;

/**
 * Whether a client should watch the members it shows in a room with this
 * many members, given the server's limit. From half the limit: the server
 * counts members from a cache (seconds old), and in between a client hearing
 * a change twice is harmless, missing it is not.
 */
export function shouldWatchPresence(memberCount: number, roomWideMaxMembers = PRESENCE_ROOM_WIDE_MAX_MEMBERS): boolean {
  return memberCount > roomWideMaxMembers / 2;
}
