/**
 * Keyset pagination shared by every list route: newest first, ordered by
 * (created_at DESC, id DESC); the cursor is opaque base64url of both.
 */
import { InvalidRequest } from "../errors";
import { UUID_RE } from "./ids";

/**
 * ISO-8601 UTC with up to microseconds, as cursorTs() and Date#toISOString()
 * write it, and a real calendar time PostgreSQL accepts (no Feb 30, no year 0).
 */
function isCursorTs(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(s) || s < "1970") return false;
  const t = Date.parse(s);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 19) === s.slice(0, 19);
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Cursor {
  createdAt: string;
  id: string;
}

/**
 * SQL for a timestamp column as an exact ISO string: JavaScript Dates keep
 * milliseconds but PostgreSQL keeps microseconds, so cursors carry this text.
 */
export function cursorTs(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

export function encodeCursor(createdAt: Date | string, id: string): string {
  const iso = createdAt instanceof Date ? createdAt.toISOString() : createdAt;
  return Buffer.from(`${iso}|${id}`).toString("base64url");
}

export function decodeCursor(cursor: string | undefined): Cursor | null {
  if (cursor === undefined || cursor === "") return null;
  const raw = Buffer.from(cursor, "base64url").toString("utf8");
  const [createdAt, id, extra] = raw.split("|");
  // Exactly what encodeCursor writes: anything else would reach SQL as a bad timestamp/uuid (a 500).
  if (!createdAt || !id || extra !== undefined || !isCursorTs(createdAt) || !UUID_RE.test(id)) {
    throw new InvalidRequest("The cursor is not one this API returned.", { issues: [{ path: "cursor", message: "invalid cursor" }] });
  }
  return { createdAt, id };
}

/** Given limit+1 rows, cut to `limit` and compute the next cursor. */
export function toPage<R, T>(rows: R[], limit: number, key: (r: R) => { createdAt: Date | string; id: string }, map: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return {
    data: kept.map(map),
    next_cursor: more && last ? encodeCursor(key(last).createdAt, key(last).id) : null,
  };
}
