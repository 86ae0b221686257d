/**
 * Debts: credits a Stripe refund or lost chargeback should have taken back
 * but could not, because they were already spent. Balances never go below
 * zero, so a debt is a row beside the ledger (credit_debts), not a negative
 * balance. While any debt is outstanding the account places no holds (jobs,
 * POST /holds, consume): admission refuses with 402 `insufficient_credits`
 * and `details.reason = "debt"`. A later purchase repays it first (a
 * `clawback` transfer from the new lot, see repayDebts); an admin may forgive it.
 */
import type { EntityManager } from "typeorm";
import { recordAudit, type AuditActor } from "../audit/audit-log";
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import { AppError, InvalidState, NotFound } from "../errors";
import { derivedId, UUID_RE } from "../lib/ids";
import * as ledger from "../ledger";

/** What a user owes and has frozen right now (all credit types). */
export interface DebtState {
  debt: number;
  frozen: number;
}

/** Outstanding debt and credits frozen by open chargebacks, for the balance and admin views. */
export async function debtState(m: EntityManager, userId: string): Promise<DebtState> {
  const [r] = await sql<{ debt: string; frozen: string }>(m,
    `SELECT (SELECT coalesce(sum(amount - repaid - forgiven), 0) FROM credit_debts WHERE user_id = $1 AND repaid + forgiven < amount)::text AS debt,
            (SELECT coalesce(sum(frozen_credits), 0) FROM stripe_chargebacks WHERE user_id = $1 AND status = 'open')::text AS frozen`,
    [userId],
  );
  return { debt: ledger.toInt(r!.debt), frozen: ledger.toInt(r!.frozen) };
}

/**
 * The refusal for an account that owes credits: 402 like a short balance,
 * since buying credits is the cure (a purchase repays the debt first).
 */
export function accountInDebt(debt: number, x: { required: number; available: number; creditType: string }): AppError {
  return new AppError(
    "insufficient_credits",
    `Your account owes ${debt} credits for a refunded or charged-back payment (a purchase or a plan invoice), so no new work can start. ` +
      `Buy credits (a purchase pays the debt first) or contact support.`,
    { required: x.required, available: x.available, credit_type: x.creditType, debt, reason: "debt" },
  );
}

/** 402 when the user has an outstanding debt (the holds service's check; admission does it in its statement). */
export async function assertNoDebt(m: EntityManager, userId: string, x: { required: number; creditType: string }): Promise<void> {
  const { debt } = await debtState(m, userId);
  if (debt > 0) throw accountInDebt(debt, { ...x, available: (await ledger.balances(m, userId, x.creditType)).available });
}

/** SQL condition: user `col` owes nothing (the open-debt index answers it). */
export const NO_DEBT = (col: string) =>
  `NOT EXISTS (SELECT 1 FROM credit_debts d WHERE d.user_id = ${col} AND d.repaid + d.forgiven < d.amount)`;

/**
 * A purchase's credits pay the user's debts first, oldest first: one
 * `clawback` transfer from the new lot (id derived from the grant, so a
 * replay repays nothing twice). Runs in the fulfilment's transaction.
 */
export async function repayDebts(
  m: EntityManager, p: { userId: string; creditType: string; accountId: string; lotId: string; grantId: string },
): Promise<number> {
  // Locked so a concurrent forgive or repayment cannot count the same debt twice.
  const debts = await sql<{ id: string; open: string }>(m,
    `SELECT id, (amount - repaid - forgiven)::text AS open FROM credit_debts
      WHERE user_id = $1 AND credit_type = $2 AND repaid + forgiven < amount ORDER BY created_at, id FOR UPDATE`,
    [p.userId, p.creditType],
  );
  const owed = debts.reduce((s, d) => s + ledger.toInt(d.open), 0);
  if (owed === 0) return 0;
  const { taken, status } = await ledger.takeLots(m, {
    id: derivedId(p.grantId, "repay-debt"), accountId: p.accountId, lotIds: [p.lotId], max: owed, type: "clawback",
    description: `Repays ${owed} credits owed for a refunded or charged-back purchase`, metadata: { debt_ids: debts.map((d) => d.id) },
  });
  if (status === "exists") return 0;
  let left = taken;
  for (const d of debts) {
    if (left === 0) break;
    const pay = Math.min(left, ledger.toInt(d.open));
    await sql(m, `UPDATE credit_debts SET repaid = repaid + $2, updated_at = now() WHERE id = $1`, [d.id, pay]);
    left -= pay;
  }
  return taken;
}

export interface ForgiveResult {
  user_id: string;
  forgiven: number;
  debt: number;
}

/**
 * POST /admin/users/:id/forgive: clear every outstanding debt of the user,
 * audited (before/after, reason, request id) in the same transaction.
 * Nothing owed → 409 invalid_state (a retried forgive after success gets it too).
 */
export async function forgiveDebt(ctx: AppContext, userId: string, by: AuditActor & { reason: string }): Promise<ForgiveResult> {
  if (!UUID_RE.test(userId)) throw new NotFound("User");
  const out = await ctx.ds.transaction(async (m) => {
    const users = await sql(m, `SELECT id FROM users WHERE id = $1`, [userId]);
    if (users.length === 0) throw new NotFound("User");
    const debts = await sql<{ id: string; credit_type: string; open: string }>(m,
      `SELECT id, credit_type, (amount - repaid - forgiven)::text AS open FROM credit_debts
        WHERE user_id = $1 AND repaid + forgiven < amount ORDER BY created_at, id FOR UPDATE`,
      [userId],
    );
    const owed = debts.reduce((s, d) => s + ledger.toInt(d.open), 0);
    if (owed === 0) throw new InvalidState("This user owes nothing: there is no debt to forgive.", { debt: 0 });
    await sql(m, `UPDATE credit_debts SET forgiven = amount - repaid, updated_at = now() WHERE id = ANY ($1::uuid[])`, [debts.map((d) => d.id)]);
    await recordAudit(m, {
      actorId: by.actorId, requestId: by.requestId, action: "debt.forgive", userId,
      before: { debt: owed, debts: debts.map((d) => ({ id: d.id, credit_type: d.credit_type, owed: ledger.toInt(d.open) })) },
      after: { debt: 0 },
      reason: by.reason,
    });
    return owed;
  });
  ctx.logger.info({ userId, forgiven: out, adminId: by.actorId }, "debt forgiven");
  return { user_id: userId, forgiven: out, debt: 0 };
}
