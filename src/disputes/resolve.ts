/**
 * Admins move a dispute on: review (open → under_review) and resolve
 * (open | under_review → resolved, refunded or rejected).
 *
 * Exactly once: each move is one conditional UPDATE on the dispute's status,
 * so of concurrent calls exactly one wins and the rest are 409 invalid_state.
 * A refund is ONE ledger transfer (`dispute_refund`, consumption → user, a
 * lot of category `dispute`) whose id is derived from the dispute id: even
 * a retry after a lost reply cannot pay twice. It commits with the status
 * change, its audit entry and the email, or none of them does.
 */
import type { EntityManager } from "typeorm";
import { type AuditActor, recordAudit } from "../audit/audit-log";
import type { AppContext } from "../context";
import { claimIdempotencyKey, fingerprint } from "../db/idempotency";
import { sql } from "../db/sql";
import { InvalidRequest, InvalidState } from "../errors";
import * as ledger from "../ledger";
import { derivedId } from "../lib/ids";
import { dispatchEmails, MailBatch } from "../mail/notifications";
import { queueDisputeMail } from "./mail";
import { DISPUTE_COLUMNS, type DisputeRow, type DisputeView, disputeRow, itemLabel, lockItem, refundedForItem, toDisputeView } from "./view";

export interface Resolution {
  outcome: "refund" | "reject";
  /** Refunds only: 1 … disputed (default: all disputed). */
  credits?: number;
  note: string;
}

const stateError = (d: Pick<DisputeRow, "status" | "outcome">, action: string) =>
  new InvalidState(`This dispute is ${d.status.replace("_", " ")}${d.outcome ? ` (${d.outcome})` : ""}; it cannot be ${action}.`, {
    status: d.status, outcome: d.outcome,
  });

const snapshot = (d: DisputeRow) => ({ status: d.status, outcome: d.outcome, refunded_credits: ledger.toInt(d.refunded_credits) });

/** open → under_review, with its audit entry and the user's email. */
export async function reviewDispute(ctx: AppContext, by: AuditActor, id: string, note?: string): Promise<DisputeView> {
  const mail = new MailBatch();
  const now = ctx.clock.now();
  const row = await ctx.ds.transaction(async (m) => {
    const before = await disputeRow(m, id);
    const rows = await sql<DisputeRow>(
      m,
      `UPDATE disputes SET status = 'under_review', reviewed_by = $2, reviewed_at = $3, updated_at = $3, admin_note = coalesce($4, admin_note)
        WHERE id = $1 AND status = 'open' RETURNING ${DISPUTE_COLUMNS}`,
      [id, by.actorId, now, note ?? null],
    );
    const d = rows[0];
    if (!d) throw stateError(await disputeRow(m, id), "put under review");
    await recordAudit(m, {
      ...by, action: "dispute.review", userId: d.user_id, reason: note ?? null,
      before: { dispute_id: d.id, ...snapshot(before), status: "open" }, after: { dispute_id: d.id, ...snapshot(d) },
    });
    await queueDisputeMail(ctx, m, mail, d, "under_review");
    return d;
  });
  await dispatchEmails(ctx, mail.ids);
  return toDisputeView(row);
}

/**
 * Resolve: refund (a `dispute_refund` of `credits`, default all disputed) or
 * reject. With an Idempotency-Key, a replay (also a concurrent one) answers
 * with the dispute as resolved and does nothing more.
 */
export async function resolveDispute(
  ctx: AppContext, by: AuditActor, id: string, r: Resolution, idempotencyKey?: string,
): Promise<{ dispute: DisputeView; replayed: boolean }> {
  if (r.outcome === "reject" && r.credits !== undefined) {
    throw new InvalidRequest("credits is only for a refund.", { issues: [{ path: "credits", message: "only with outcome \"refund\"" }] });
  }
  const mail = new MailBatch();
  const now = ctx.clock.now();
  const replayed = await ctx.ds.transaction(async (m) => {
    const first = await disputeRow(m, id);
    if (idempotencyKey) {
      const requestHash = fingerprint({ dispute_id: first.id, outcome: r.outcome, credits: r.credits ?? null, note: r.note });
      if ((await claimIdempotencyKey(m, by.actorId, "dispute-resolve", { key: idempotencyKey, requestHash }, first.id)) !== null) return true;
    }
    // Under the item's lock and the row's, re-read: a concurrent resolve that won is visible now.
    await lockItem(m, first.item_id);
    const d = await disputeRow(m, id, true);
    if (d.status === "resolved") throw stateError(d, "resolved again");
    const credits = r.outcome === "refund" ? await refundAmount(m, d, r.credits) : 0;
    const transferId = credits > 0 ? derivedId(d.id, "dispute_refund") : null;
    const rows = await sql<DisputeRow>(
      m,
      `UPDATE disputes SET status = 'resolved', outcome = $2, refunded_credits = $3, refund_transfer_id = $4, admin_note = $5,
              resolved_by = $6, resolved_at = $7, updated_at = $7
        WHERE id = $1 AND status <> 'resolved' RETURNING ${DISPUTE_COLUMNS}`,
      [id, credits > 0 ? "refunded" : "rejected", credits, transferId, r.note, by.actorId, now],
    );
    const done = rows[0];
    if (!done) throw stateError(await disputeRow(m, id), "resolved again");
    const balance = transferId ? await refund(m, done, transferId, by.actorId) : null;
    await recordAudit(m, {
      ...by, action: "dispute.resolve", userId: done.user_id, reason: r.note,
      before: { dispute_id: d.id, ...snapshot(d), ...(balance ? { balance: { available: balance.available - credits, posted: balance.posted - credits } } : {}) },
      after: { dispute_id: d.id, ...snapshot(done), ...(balance ? { balance: { available: balance.available, posted: balance.posted }, transaction_id: transferId } : {}) },
    });
    await queueDisputeMail(ctx, m, mail, done, "resolved");
    return false;
  });
  await dispatchEmails(ctx, mail.ids);
  if (!replayed) ctx.logger.info({ disputeId: id, adminId: by.actorId, outcome: r.outcome }, "dispute resolved");
  return { dispute: toDisputeView(await disputeRow(ctx.ds.manager, id)), replayed };
}

/** 1 … disputed (default all), and never more than the item's charge less what other disputes gave back. */
async function refundAmount(m: EntityManager, d: DisputeRow, asked: number | undefined): Promise<number> {
  const disputed = ledger.toInt(d.disputed_credits);
  const credits = asked ?? disputed;
  if (credits > disputed) {
    throw new InvalidRequest(`At most the ${disputed} disputed credits can be refunded.`, {
      issues: [{ path: "credits", message: `must be at most ${disputed}` }], disputed_credits: disputed,
    });
  }
  const left = ledger.toInt(d.item_charged) - (await refundedForItem(m, d.item_id, d.id));
  if (credits > left) {
    throw new InvalidState(`Only ${left} credits of this item's charge are left to refund.`, { refundable: left });
  }
  return credits;
}

/** The refund transfer; returns the user's balance after it (this transaction holds the account's lock). */
async function refund(m: EntityManager, d: DisputeRow, transferId: string, adminId: string): Promise<ledger.Balances> {
  const amount = ledger.toInt(d.refunded_credits);
  await ledger.grant(m, {
    id: transferId, userId: d.user_id, amount, creditType: d.credit_type, type: "dispute_refund", source: "consumption",
    category: "dispute", description: `Dispute refund for ${itemLabel(d)}`,
    metadata: { dispute_id: d.id, job_id: d.job_id, transaction_id: d.transaction_id, admin_id: adminId },
  });
  // ledger_grant has no job parameter (and its SQL is not ours to change): the new row, still
  // invisible to anyone else in this transaction, gets its job link so histories show it by job.
  if (d.job_id) await sql(m, `UPDATE ledger_transfers SET job_id = $2 WHERE id = $1 AND job_id IS NULL`, [transferId, d.job_id]);
  return ledger.balances(m, d.user_id, d.credit_type);
}
