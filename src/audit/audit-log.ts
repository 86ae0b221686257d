/**
 * The admin audit log: one row per admin action, written by `recordAudit`
 * inside the action's own transaction, so an action and its audit entry
 * commit (or roll back) together — there is no action without its entry.
 *
 * Callers pass `before` and `after` as small JSON objects of what the action
 * changed (a balance, a status), the admin's reason, and the request id the
 * API assigned (X-Request-Id), which ties the entry to that request's logs.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { cursorTs, decodeCursor, type Page, toPage } from "../lib/pagination";

/**
 * Every action name in use. Add yours here (lowercase, dotted: `area.verb`);
 * the audit_log table checks the shape, this list keeps the names findable.
 */
export const AUDIT_ACTIONS = [
  "credits.add",
  "credits.remove",
  "credits.pause",
  "credits.resume",
  "dispute.review",
  "dispute.resolve",
  "debt.forgive",
  "limits.change",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who acted, and in which request: what a service needs to audit an admin action. */
export interface AuditActor {
  actorId: string;
  /** X-Request-Id of the API request (null when not called through the API). */
  requestId: string | null;
}

export interface AuditEntryInput extends AuditActor {
  action: AuditAction;
  /** The user the action was about (null for actions on no user). */
  userId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason?: string | null;
}

export interface AuditEntry {
  id: string;
  actor_id: string | null;
  action: string;
  user_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
  request_id: string | null;
  created_at: string;
}

/** Write one entry in the caller's transaction (pass the EntityManager of the action's transaction). */
export async function recordAudit(m: EntityManager, e: AuditEntryInput): Promise<string> {
  const rows: { id: string }[] = await sql(m,
    `INSERT INTO audit_log (actor_id, action, user_id, before, after, reason, request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [e.actorId, e.action, e.userId, e.before ? JSON.stringify(e.before) : null, e.after ? JSON.stringify(e.after) : null,
      e.reason ?? null, e.requestId],
  );
  return rows[0]!.id;
}

export interface AuditQuery {
  limit: number;
  cursor?: string;
  user_id?: string;
  actor_id?: string;
  action?: string;
}

interface AuditRow {
  id: string;
  actor_id: string | null;
  action: string;
  user_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
  request_id: string | null;
  created_at: Date;
  cursor_ts: string;
}

/** Newest first, keyset-paginated; filters by the user acted on, the acting admin, the action. */
export async function listAudit(ctx: AppContext, q: AuditQuery): Promise<Page<AuditEntry>> {
  const cursor = decodeCursor(q.cursor);
  const params: unknown[] = [q.limit + 1];
  let where = "true";
  if (q.user_id) where += ` AND user_id = $${params.push(q.user_id)}`;
  if (q.actor_id) where += ` AND actor_id = $${params.push(q.actor_id)}`;
  if (q.action) where += ` AND action = $${params.push(q.action)}`;
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  const rows: AuditRow[] = await sql(ctx.ds,
    `SELECT id, actor_id, action, user_id, before, after, reason, request_id, created_at, ${cursorTs("created_at")} AS cursor_ts
       FROM audit_log WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $1`,
    params,
  );
  return toPage(rows, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.id }), (r) => ({
    id: r.id, actor_id: r.actor_id, action: r.action, user_id: r.user_id, before: r.before, after: r.after,
    reason: r.reason, request_id: r.request_id, created_at: r.created_at.toISOString(),
  }));
}
