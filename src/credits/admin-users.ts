/**
 * Admin management of users' credit service: create a user (with the only
 * showing of its API key), list users, pause and resume.
 */
import { type AuditActor, recordAudit } from "../audit/audit-log";
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import type { CreditStatus, Role, User } from "../entities/user";
import { InvalidState, NotFound } from "../errors";
import { UUID_RE } from "../lib/ids";
import { cursorTs, decodeCursor, type Page, toPage } from "../lib/pagination";
import { issueApiKey } from "../users/users";
import { requireUser } from "./account";
import { debtState } from "./debts";

export interface UserView {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  status: CreditStatus;
  created_at: string;
}

export interface AdminUserCreated extends UserView {
  api_key: string;
}

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  credit_status: CreditStatus;
  created_at: Date;
}

const USER_COLUMNS = `id, email, name, role, credit_status, created_at`;

function toView(r: UserRow): UserView {
  return { id: r.id, email: r.email, name: r.name, role: r.role, status: r.credit_status, created_at: r.created_at.toISOString() };
}

export function userView(u: User): UserView {
  return { id: u.id, email: u.email, name: u.name, role: u.role, status: u.creditStatus, created_at: u.createdAt.toISOString() };
}

/** GET /admin/users/:id: the user, why it is paused, and what it owes or has frozen (chargebacks, refunds). */
export interface AdminUserDetail extends UserView {
  pause_reason: string | null;
  debt: number;
  frozen: number;
}

/** One user by id; 404 for an unknown id or one that is not a UUID. */
export async function getUserView(ctx: AppContext, id: string): Promise<AdminUserDetail> {
  const u = await requireUser(ctx.ds.manager, id);
  const [r] = await sql<{ pause_reason: string | null }>(ctx.ds, `SELECT pause_reason FROM users WHERE id = $1`, [u.id]);
  return { ...userView(u), pause_reason: r?.pause_reason ?? null, ...(await debtState(ctx.ds.manager, u.id)) };
}

/**
 * Create a user and its first API key in one transaction. A taken email
 * (case-insensitive) is 409 invalid_state: the request is well-formed, it
 * just conflicts with what exists. The unique index decides, so two
 * concurrent creates of one email cannot both succeed.
 */
export async function createUserByAdmin(ctx: AppContext, u: { email: string; name?: string; role: Role }): Promise<AdminUserCreated> {
  return ctx.ds.transaction(async (m) => {
    const rows: UserRow[] = await sql(m,
      `INSERT INTO users (email, name, role) VALUES ($1, $2, $3)
       ON CONFLICT ((lower(email))) DO NOTHING RETURNING ${USER_COLUMNS}`,
      [u.email, u.name ?? null, u.role],
    );
    const row = rows[0];
    if (!row) throw new InvalidState("A user with this email already exists.", { email: u.email });
    const apiKey = await issueApiKey(m, row.id, "created by admin");
    return { ...toView(row), api_key: apiKey };
  });
}

export async function listUsers(ctx: AppContext, q: { limit: number; cursor?: string; status?: CreditStatus; q?: string }): Promise<Page<UserView>> {
  const cursor = decodeCursor(q.cursor);
  const params: unknown[] = [q.limit + 1];
  let where = "true";
  if (q.status) where += ` AND credit_status = $${params.push(q.status)}`;
  if (q.q) {
    // The text is a value, never SQL; LIKE's own wildcards in it match literally.
    const like = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const i = params.push(like);
    const prefix = params.push(`${q.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where += ` AND (email ILIKE $${i} OR coalesce(name, '') ILIKE $${i} OR id::text LIKE $${prefix})`;
  }
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  const rows: (UserRow & { cursor_ts: string })[] = await sql(ctx.ds,
    `SELECT ${USER_COLUMNS}, ${cursorTs("created_at")} AS cursor_ts FROM users WHERE ${where}
      ORDER BY created_at DESC, id DESC LIMIT $1`,
    params,
  );
  return toPage(rows, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.id }), toView);
}

/**
 * Pause or resume a user's credit service, with its audit entry, in one
 * transaction. The UPDATE reads the old status from a locked sub-select, so
 * `before` is what this call changed, even when admins race. Setting the
 * state it already has is a no-op (still audited: an admin asked for it) that
 * answers with the user, so a retried call is harmless.
 */
export async function setCreditStatus(
  ctx: AppContext, userId: string, status: CreditStatus, by: AuditActor & { reason?: string | null },
): Promise<UserView> {
  if (!UUID_RE.test(userId)) throw new NotFound("User");
  const row = await ctx.ds.transaction(async (m) => {
    const rows = await sql<UserRow & { old_status: CreditStatus }>(
      m,
      // pause_reason follows the admin's action, so a chargeback never lifts an admin's pause (src/billing/clawbacks.ts).
      `UPDATE users u SET credit_status = $2, updated_at = CASE WHEN old.credit_status = $2 THEN u.updated_at ELSE now() END,
              pause_reason = CASE WHEN $2 = 'paused' THEN coalesce($3, 'admin') END
         FROM (SELECT id, credit_status FROM users WHERE id = $1 FOR UPDATE) old
        WHERE u.id = old.id
        RETURNING u.id, u.email, u.name, u.role, u.credit_status, u.created_at, old.credit_status AS old_status`,
      [userId, status, by.reason ? `admin: ${by.reason}` : null],
    );
    const r = rows[0];
    if (!r) throw new NotFound("User");
    await recordAudit(m, {
      actorId: by.actorId, requestId: by.requestId, action: status === "paused" ? "credits.pause" : "credits.resume", userId,
      before: { status: r.old_status }, after: { status: r.credit_status }, reason: by.reason ?? null,
    });
    return r;
  });
  // Keys answered from memory would show the old status (e.g. in /credits/balance) until their TTL.
  ctx.authCache.clear();
  ctx.logger.info({ userId, status, adminId: by.actorId }, "credit service status set");
  return toView(row);
}
