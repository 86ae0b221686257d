/**
 * Low-credit alerts: one email each time a user's available balance crosses
 * below their threshold, re-armed only by a top-up.
 *
 * Threshold: users.low_credit_threshold when set, else 10% of the user's
 * last grant (their newest lot), at least 10 credits.
 *
 * Race-free by construction: per account, `low_credit_state.armed` is
 * flipped true → false by ONE conditional UPDATE (… WHERE armed AND
 * available < threshold). PostgreSQL re-checks `armed` on the locked row, so
 * of any number of concurrent checks exactly one flips it, and that one
 * queues the email in the same transaction with the dedupe key
 * low_credit:<account>:<crossing number>. The flag comes back (true) only when
 * a lot newer than the one seen at the crossing exists — a top-up — and the
 * balance is at or above the threshold again; a refund or released hold does
 * not re-arm it.
 *
 * Run by the scheduler (every 30 s, all accounts) and callable for one user
 * right after a balance change (afterBalanceChange) for faster alerts.
 */
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import { toInt } from "../ledger/types";
import { dispatchEmails, MailBatch, queueUserEmail } from "../mail/notifications";

/** Default rule: 10% of the last grant, never below this many credits. */
export const MIN_LOW_CREDIT_THRESHOLD = 10;
export const LOW_CREDIT_PERCENT_OF_LAST_GRANT = 10;

/** Per user account with at least one lot: available balance, threshold, newest lot. ($1: user id or null for all.) */
const ACCOUNTS = `
  acc AS (
    SELECT a.id AS account_id, a.user_id, a.credit_type,
           a.credits_posted - a.debits_posted - a.debits_pending AS available,
           l.amount AS last_amount, l.created_at AS newest_at,
           coalesce(u.low_credit_threshold, greatest(${MIN_LOW_CREDIT_THRESHOLD}, l.amount * ${LOW_CREDIT_PERCENT_OF_LAST_GRANT} / 100)) AS threshold
      FROM ledger_accounts a
      JOIN users u ON u.id = a.user_id
      CROSS JOIN LATERAL (
        SELECT amount, created_at FROM ledger_lots WHERE account_id = a.id ORDER BY created_at DESC, id DESC LIMIT 1
      ) l
     WHERE a.kind = 'user' AND ($1::uuid IS NULL OR a.user_id = $1::uuid)
  )`;

export interface LowCreditResult {
  armed: number;
  alerts: number;
}

export async function checkLowCredit(ctx: AppContext, opts: { now: Date; userId?: string }): Promise<LowCreditResult> {
  const userId = opts.userId ?? null;
  const mail = new MailBatch();
  const out = await ctx.ds.transaction(async (m) => {
    // First sight of an account: armed if the balance is at or above the
    // threshold now, or if its last grant alone lifted it there (then a
    // balance below it now is a crossing we must not miss).
    const first = await sql<{ account_id: string }>(
      m,
      `WITH ${ACCOUNTS}
       INSERT INTO low_credit_state (account_id, user_id, credit_type, armed, lot_watermark, updated_at)
       SELECT account_id, user_id, credit_type, true, newest_at, $2 FROM acc WHERE available >= threshold OR last_amount >= threshold
       ON CONFLICT (account_id) DO NOTHING RETURNING account_id`,
      [userId, opts.now],
    );
    // Re-arm after a top-up.
    const rearmed = await sql<{ account_id: string }>(
      m,
      `WITH ${ACCOUNTS}
       UPDATE low_credit_state s SET armed = true, updated_at = $2 FROM acc
        WHERE s.account_id = acc.account_id AND NOT s.armed AND acc.newest_at > s.lot_watermark AND acc.available >= acc.threshold
       RETURNING s.account_id`,
      [userId, opts.now],
    );
    // Crossings: the one statement that decides who sends the email.
    const crossed = await sql<{ account_id: string; user_id: string; credit_type: string; crossings: number; available: string; threshold: string }>(
      m,
      `WITH ${ACCOUNTS}
       UPDATE low_credit_state s SET armed = false, crossings = s.crossings + 1, lot_watermark = acc.newest_at, last_crossed_at = $2, updated_at = $2
         FROM acc
        WHERE s.account_id = acc.account_id AND s.armed AND acc.available < acc.threshold
       RETURNING s.account_id, s.user_id, s.credit_type, s.crossings, acc.available, acc.threshold`,
      [userId, opts.now],
    );
    for (const c of crossed) {
      mail.add(await queueUserEmail(m, ctx.config.PUBLIC_URL ?? null, c.user_id, `low_credit:${c.account_id}:${c.crossings}`, {
        kind: "low_credit", available: toInt(c.available), threshold: toInt(c.threshold), creditType: c.credit_type,
      }));
    }
    return { armed: first.length + rearmed.length, alerts: crossed.length };
  });
  await dispatchEmails(ctx, mail.ids);
  return out;
}

/** Hook for code that just changed a user's balance (e.g. after settling a job): check that user now. */
export async function afterBalanceChange(ctx: AppContext, userId: string): Promise<LowCreditResult> {
  return checkLowCredit(ctx, { now: ctx.clock.now(), userId });
}

/** The user's configured threshold and the one in effect now. */
export async function lowCreditSettings(ctx: AppContext, userId: string): Promise<{ threshold: number | null; effective_threshold: number; default_threshold: number }> {
  const rows: { threshold: string | null; last_amount: string | null }[] = await sql(ctx.ds,
    `SELECT u.low_credit_threshold AS threshold,
            (SELECT l.amount FROM ledger_lots l JOIN ledger_accounts a ON a.id = l.account_id
              WHERE a.kind = 'user' AND a.user_id = u.id ORDER BY l.created_at DESC, l.id DESC LIMIT 1) AS last_amount
       FROM users u WHERE u.id = $1`,
    [userId],
  );
  const r = rows[0]!;
  const def = Math.max(MIN_LOW_CREDIT_THRESHOLD, Math.floor((toInt(r.last_amount) * LOW_CREDIT_PERCENT_OF_LAST_GRANT) / 100));
  const threshold = r.threshold === null ? null : toInt(r.threshold);
  return { threshold, default_threshold: def, effective_threshold: threshold ?? def };
}

/** Set (or clear, with null) the user's low-credit threshold. */
export async function setLowCreditThreshold(ctx: AppContext, userId: string, threshold: number | null) {
  await sql(ctx.ds, `UPDATE users SET low_credit_threshold = $2, updated_at = now() WHERE id = $1`, [userId, threshold]);
  return lowCreditSettings(ctx, userId);
}
