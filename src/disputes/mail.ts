/**
 * The dispute emails, queued in the caller's transaction (so a rolled-back
 * change mails nothing) with one dedupe key per dispute and status: a
 * transition is mailed once, however often its transaction is retried.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import type { DisputeMail } from "../mail/dispute-templates";
import { type MailBatch, queueEmail, queueUserEmail } from "../mail/notifications";
import { type DisputeRow, itemLabel } from "./view";
import { toInt } from "../ledger/types";

type Step = "opened" | "under_review" | "resolved";

export async function queueDisputeMail(ctx: AppContext, m: EntityManager, mail: MailBatch, d: DisputeRow, step: Step): Promise<void> {
  const publicUrl = ctx.config.PUBLIC_URL ?? null;
  const base = { disputeId: d.id, item: itemLabel(d) };
  const message: DisputeMail =
    step === "opened" ? { kind: "dispute_opened", ...base, disputedCredits: toInt(d.disputed_credits), reason: d.reason }
    : step === "under_review" ? { kind: "dispute_under_review", ...base }
    : { kind: "dispute_resolved", ...base, outcome: d.outcome!, refundedCredits: toInt(d.refunded_credits), note: d.admin_note };
  mail.add(await queueUserEmail(m, publicUrl, d.user_id, `dispute:${d.id}:${step}`, message));

  const admin = ctx.config.ADMIN_EMAIL;
  if (step === "opened" && admin) {
    const users: { email: string }[] = await sql(m, `SELECT email FROM users WHERE id = $1`, [d.user_id]);
    mail.add(await queueEmail(m, publicUrl, {
      userId: null, to: admin, dedupeKey: `dispute:${d.id}:opened:admin`,
      message: {
        kind: "dispute_opened_admin", ...base, disputedCredits: toInt(d.disputed_credits), reason: d.reason,
        userEmail: users[0]?.email ?? d.user_id, description: d.description,
      },
    }));
  }
}
