/** Longest message body, in characters (UTF-16 code units, as JS counts). */
export const MAX_BODY_LENGTH = 4_000;
export const MAX_ROOM_NAME_LENGTH = 48;
/** Page size bounds for `room:history` and `room:sync`. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** Largest payload the server reads from a socket, in bytes (the socket is dropped above it). */
export const MAX_SOCKET_PAYLOAD_BYTES = 64 * 1024;
