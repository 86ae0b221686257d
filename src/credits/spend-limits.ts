/**
 * Spend limits (issue 14): a user's daily (UTC day) and monthly (calendar
 * month, UTC) cap on credits spent, set by the user and capped by an admin
 * ceiling the user cannot raise.
 *
 * Stored per user in spend_limits: the user's own limits and the admin's
 * ceilings (NULL = none). The limit in force is least(own, ceiling) — a
 * ceiling applies even to a user who set no limit of their own — and it is
 * copied onto each of the user's ledger accounts in the same transaction
 * (applySpendLimits), where the hold functions enforce it under the
 * account's row lock. Lowering a ceiling below the user's own limit lowers
 * (clamps) that limit, so raising the ceiling later does not bring the old
 * limit back.
 *
 * The low-credit alert threshold shown beside the limits is the one the
 * low-credit task already uses (users.low_credit_threshold, see
 * src/billing/low-credit.ts): one setting, two ways to reach it.
 */
import type { EntityManager } from "typeorm";
import { type AuditActor, recordAudit } from "../audit/audit-log";
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import { InvalidRequest, NotFound } from "../errors";
import { UUID_RE } from "../lib/ids";
import * as ledger from "../ledger";
import { DEFAULT_CREDIT_TYPE } from "../ledger/types";

export interface SpendLimitsView {
  /** The daily limit in force (your own, or the admin's ceiling if lower); null = none. */
  daily: number | null;
  monthly: number | null;
  ceiling_daily: number | null;
  ceiling_monthly: number | null;
  spent_today: number;
  spent_this_month: number;
  low_credit_threshold: number | null;
}

/** PUT /credits/limits: a field left out stays as it is; null clears it. */
export interface LimitsUpdate {
  daily?: number | null;
  monthly?: number | null;
  low_credit_threshold?: number | null;
}

/** PUT /admin/users/:id/limits. */
export interface CeilingsUpdate {
  ceiling_daily?: number | null;
  ceiling_monthly?: number | null;
}

interface LimitsRow {
  daily: number | null;
  monthly: number | null;
  ceiling_daily: number | null;
  ceiling_monthly: number | null;
}

type Stored = { [K in keyof LimitsRow]: string | null };

const num = (v: string | null): number | null => (v === null ? null : ledger.toInt(v));
const least = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/** GET /credits/limits (and what the PUTs answer). Spent is counted on the user's account of the default credit type. */
export async function limitsOf(ctx: AppContext, userId: string, m: EntityManager = ctx.ds.manager): Promise<SpendLimitsView> {
  const rows = await sql<Stored & { low_credit_threshold: string | null; found: boolean }>(m,
    `SELECT true AS found, s.daily, s.monthly, s.ceiling_daily, s.ceiling_monthly, u.low_credit_threshold
       FROM users u LEFT JOIN spend_limits s ON s.user_id = u.id WHERE u.id = $1`,
    [userId],
  );
  const r = rows[0];
  if (!r) throw new NotFound("User");
  const spent = await ledger.spentInPeriods(m, await ledger.findUserAccountId(m, userId, DEFAULT_CREDIT_TYPE));
  const ceilingDaily = num(r.ceiling_daily);
  const ceilingMonthly = num(r.ceiling_monthly);
  return {
    daily: least(num(r.daily), ceilingDaily), monthly: least(num(r.monthly), ceilingMonthly),
    ceiling_daily: ceilingDaily, ceiling_monthly: ceilingMonthly,
    spent_today: spent.day, spent_this_month: spent.month, low_credit_threshold: num(r.low_credit_threshold),
  };
}

/**
 * The user's row of spend_limits, created if missing and locked: limit
 * changes of one user are serialised on it (read-modify-write below).
 */
async function lockLimits(m: EntityManager, userId: string): Promise<LimitsRow> {
  await sql(m, `INSERT INTO spend_limits (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING`, [userId]);
  const rows = await sql<Stored>(m, `SELECT daily, monthly, ceiling_daily, ceiling_monthly FROM spend_limits WHERE user_id = $1 FOR UPDATE`, [userId]);
  const r = rows[0]!;
  return { daily: num(r.daily), monthly: num(r.monthly), ceiling_daily: num(r.ceiling_daily), ceiling_monthly: num(r.ceiling_monthly) };
}

/** Store the row and put the limits in force on the user's accounts, in the caller's transaction. */
async function saveLimits(m: EntityManager, userId: string, l: LimitsRow): Promise<void> {
  await sql(m,
    `UPDATE spend_limits SET daily = $2, monthly = $3, ceiling_daily = $4, ceiling_monthly = $5, updated_at = now() WHERE user_id = $1`,
    [userId, l.daily, l.monthly, l.ceiling_daily, l.ceiling_monthly],
  );
  await ledger.applySpendLimits(m, userId, { daily: least(l.daily, l.ceiling_daily), monthly: least(l.monthly, l.ceiling_monthly) });
}

/** PUT /credits/limits: the user's own limits (never above an admin ceiling: 400 naming the field) and low-credit threshold. */
export async function updateLimits(ctx: AppContext, userId: string, u: LimitsUpdate): Promise<SpendLimitsView> {
  return ctx.ds.transaction(async (m) => {
    const cur = await lockLimits(m, userId);
    const next = { ...cur };
    const issues: { path: string; message: string }[] = [];
    for (const [field, ceiling] of [["daily", cur.ceiling_daily], ["monthly", cur.ceiling_monthly]] as const) {
      const v = u[field];
      if (v === undefined) continue;
      if (v !== null && ceiling !== null && v > ceiling) issues.push({ path: field, message: `must be at most ${ceiling}, the ceiling your administrator set` });
      next[field] = v;
    }
    if (issues.length > 0) {
      throw new InvalidRequest(`${issues.map((i) => `${i.path} ${i.message}`).join("; ")}.`, { issues });
    }
    await saveLimits(m, userId, next);
    if (u.low_credit_threshold !== undefined) {
      // The same setting as PUT /billing/low-credit (src/billing/low-credit.ts).
      await sql(m, `UPDATE users SET low_credit_threshold = $2, updated_at = now() WHERE id = $1`, [userId, u.low_credit_threshold]);
    }
    return limitsOf(ctx, userId, m);
  });
}

/**
 * PUT /admin/users/:id/limits: the admin's ceilings. A ceiling below the
 * user's own limit clamps that limit down to it. Audited (`limits.change`)
 * in the same transaction, with the limits before and after.
 */
export async function updateCeilings(
  ctx: AppContext, userId: string, c: CeilingsUpdate, by: AuditActor & { reason?: string | null },
): Promise<SpendLimitsView> {
  if (!UUID_RE.test(userId)) throw new NotFound("User");
  return ctx.ds.transaction(async (m) => {
    const exists = await sql(m, `SELECT 1 FROM users WHERE id = $1`, [userId]);
    if (exists.length === 0) throw new NotFound("User");
    const before = await lockLimits(m, userId);
    const next = { ...before };
    if (c.ceiling_daily !== undefined) next.ceiling_daily = c.ceiling_daily;
    if (c.ceiling_monthly !== undefined) next.ceiling_monthly = c.ceiling_monthly;
    if (next.daily !== null && next.ceiling_daily !== null) next.daily = Math.min(next.daily, next.ceiling_daily);
    if (next.monthly !== null && next.ceiling_monthly !== null) next.monthly = Math.min(next.monthly, next.ceiling_monthly);
    await saveLimits(m, userId, next);
    await recordAudit(m, {
      actorId: by.actorId, requestId: by.requestId, action: "limits.change", userId,
      before: { ...before }, after: { ...next }, reason: by.reason ?? null,
    });
    return limitsOf(ctx, userId, m);
  });
}
