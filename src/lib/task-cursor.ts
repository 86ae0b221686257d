/**
 * Where a scheduled scan stopped (task_cursors): a round that reaches its
 * bound saves the keyset position it got to, and the next round resumes
 * there; a round that reaches the end clears it, so the next starts at the
 * head again. Every row is therefore looked at within a bounded number of
 * rounds, however long the backlog, and no round is unbounded.
 */
import { sql } from "../db/sql";
import type { AppContext } from "../context";

/** Keyset position: (created_at as exact text, id). */
export interface Keyset {
  createdAt: string;
  id: string;
}

export async function readCursor(ctx: AppContext, name: string): Promise<Keyset | null> {
  const rows: { cursor: Keyset | null }[] = await sql(ctx.ds, `SELECT cursor FROM task_cursors WHERE name = $1`, [name]);
  return rows[0]?.cursor ?? null;
}

export async function saveCursor(ctx: AppContext, name: string, cursor: Keyset | null): Promise<void> {
  await sql(ctx.ds,
    `INSERT INTO task_cursors (name, cursor, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (name) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`,
    [name, cursor === null ? null : JSON.stringify(cursor)],
  );
}
