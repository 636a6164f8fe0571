/** Longest message body, in characters (UTF-16 code units, as JS counts). */
export const MAX_BODY_LENGTH = 4_000;
export const MAX_ROOM_NAME_LENGTH = 48;
/** Page size bounds for `room:history` and `room:sync`. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
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
