/** GET /admin/alerts: newest first, optionally one type, paginated like every list. */
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import { cursorTs, decodeCursor, type Page, toPage } from "../lib/pagination";
import type { AlertType, AlertView } from "./raise";

interface AlertRow {
  id: string;
  type: AlertType;
  user_id: string | null;
  details: Record<string, unknown>;
  created_at: Date;
  cursor_ts: string;
}

export async function listAlerts(ctx: AppContext, q: { limit: number; cursor?: string; type?: AlertType; user_id?: string }): Promise<Page<AlertView>> {
  const cursor = decodeCursor(q.cursor);
  const params: unknown[] = [q.limit + 1];
  let where = "true";
  if (q.type) where += ` AND type = $${params.push(q.type)}`;
  if (q.user_id) where += ` AND user_id = $${params.push(q.user_id)}`;
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  const rows = await sql<AlertRow>(ctx.ds,
    `SELECT id, type, user_id, details, created_at, ${cursorTs("created_at")} AS cursor_ts FROM alerts WHERE ${where}
      ORDER BY created_at DESC, id DESC LIMIT $1`,
    params,
  );
  return toPage(rows, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.id }), (r) => ({
    id: r.id, type: r.type, user_id: r.user_id, details: r.details, created_at: r.created_at.toISOString(),
  }));
}
