/**
 * A timestamp from `Database.sql`. Timestamps come back as text (see
 * TIMESTAMPS_AS_TEXT in database.ts): Prisma's columns are TIMESTAMP(3), UTC
 * without a zone, and a driver's own parser would read them in the process's
 * time zone.
 */
export const sqlDate = (v: Date | string | null): Date | null =>
  v === null ? null : v instanceof Date ? v : new Date(/[zZ]|[+-]\d\d(:?\d\d)?$/.test(v) ? v : `${v}Z`);
