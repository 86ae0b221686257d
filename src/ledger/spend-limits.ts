/**
 * The ledger's side of spend limits (issue 14). The limit in force is kept on
 * each of the user's accounts (spend_limit_daily / _monthly), so the hold
 * functions read it from the row they lock anyway and check it under that
 * lock (ledger_admission_refusal, ledger_hold_each_many): concurrent holds
 * queue on the row and cannot overshoot. An account without a limit (both
 * NULL) costs nothing more than reading those two columns.
 */
import type { EntityManager } from "typeorm";
import { sql } from "../db/sql";
import { toInt } from "./types";

/**
 * Put the user's limits in force on every one of their accounts, in the
 * caller's transaction. Taking the accounts' row locks orders this after the
 * holds in flight and before the next ones.
 */
export async function applySpendLimits(m: EntityManager, userId: string, limits: { daily: number | null; monthly: number | null }): Promise<void> {
  await sql(m,
    `UPDATE ledger_accounts SET spend_limit_daily = $2, spend_limit_monthly = $3 WHERE kind = 'user' AND user_id = $1`,
    [userId, limits.daily, limits.monthly],
  );
}

/**
 * What the account has spent in the current UTC day and calendar month, as
 * the limits count it (ledger_spent): holds placed in the period, at what
 * they still hold or what was captured of them; releases, refunds and
 * dispute refunds give room back. 0 for an account that does not exist.
 */
export async function spentInPeriods(m: EntityManager, accountId: string | null): Promise<{ day: number; month: number }> {
  if (!accountId) return { day: 0, month: 0 };
  const rows = await sql<{ day: string; month: string }>(m, `SELECT day, month FROM ledger_spent($1, now())`, [accountId]);
  return { day: toInt(rows[0]?.day), month: toInt(rows[0]?.month) };
}
