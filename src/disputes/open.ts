/**
 * A user disputes what they were charged: a job, or one charge transaction.
 *
 * What is disputed (the "item") is the job — also when the user names the
 * job's charge transaction, so one job cannot be disputed twice over two
 * names — or a charge that belongs to no job. One unresolved dispute per
 * item: the partial unique index on disputes(item_id) decides, so of two
 * concurrent opens exactly one succeeds and the other is 409 invalid_state.
 * A later dispute of the same item may claim only what earlier ones did not
 * give back.
 */
import { sql } from "../db/sql";
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { claimIdempotencyKey, type Idempotency } from "../db/idempotency";
import type { User } from "../entities/user";
import { InvalidRequest, InvalidState, NotFound } from "../errors";
import { toInt } from "../ledger/types";
import { cursorTs, decodeCursor, type Page, toPage } from "../lib/pagination";
import { dispatchEmails, MailBatch } from "../mail/notifications";
import { queueDisputeMail } from "./mail";
import { DISPUTE_COLUMNS, type DisputeReason, type DisputeRow, type DisputeStatus, type DisputeView, disputeRow, lockItem, refundedForItem, toDisputeView } from "./view";

/** Transfer types that charge a user (a job's charge; the holds API's capture and consume). */
const CHARGE_TYPES = ["charge", "capture", "consume"];

export interface OpenDispute {
  jobId?: string;
  transactionId?: string;
  reason: DisputeReason;
  description: string;
}

interface Item {
  itemId: string;
  jobId: string | null;
  transactionId: string | null;
  creditType: string;
  /** What the whole item was charged. */
  charged: number;
  /** What the named thing was charged (a transaction can be less than its job, in principle). */
  amount: number;
}

const nothingCharged = (path: string, what: string) =>
  new InvalidRequest(`Nothing was charged for this ${what}, so there is nothing to dispute.`, { issues: [{ path, message: "nothing charged" }] });

async function jobItem(m: EntityManager, user: User, jobId: string): Promise<Omit<Item, "transactionId" | "amount">> {
  const jobs: { user_id: string; credits_charged: string; credit_type: string }[] =
    await sql(m, `SELECT user_id, credits_charged, credit_type FROM jobs WHERE id = $1`, [jobId]);
  const job = jobs[0];
  if (!job || job.user_id !== user.id) throw new NotFound("Job");
  return { itemId: jobId, jobId, creditType: job.credit_type, charged: toInt(job.credits_charged) };
}

/** The disputed item, checked: the user's own (404 otherwise) and charged (400 otherwise). */
async function disputedItem(m: EntityManager, user: User, d: OpenDispute): Promise<Item> {
  if (d.jobId) {
    const job = await jobItem(m, user, d.jobId);
    if (job.charged <= 0) throw nothingCharged("job_id", "job");
    return { ...job, transactionId: null, amount: job.charged };
  }
  const rows: { user_id: string | null; type: string; amount: string; job_id: string | null; credit_type: string; from_user: boolean }[] = await sql(m,
    `SELECT t.user_id, t.type, t.amount, t.job_id, t.credit_type, (a.kind = 'user') AS from_user
       FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.debit_account_id WHERE t.id = $1`,
    [d.transactionId],
  );
  const t = rows[0];
  if (!t || t.user_id !== user.id) throw new NotFound("Transaction");
  if (!CHARGE_TYPES.includes(t.type) || !t.from_user) throw nothingCharged("transaction_id", "transaction");
  const amount = toInt(t.amount);
  if (t.job_id) {
    const job = await jobItem(m, user, t.job_id);
    return { ...job, transactionId: d.transactionId!, amount: Math.min(amount, job.charged) };
  }
  return { itemId: d.transactionId!, jobId: null, transactionId: d.transactionId!, creditType: t.credit_type, charged: amount, amount };
}

export async function openDispute(ctx: AppContext, user: User, d: OpenDispute, idem?: Idempotency): Promise<{ dispute: DisputeView; replayed: boolean }> {
  const newId = randomUUID();
  const mail = new MailBatch();
  const now = ctx.clock.now();
  const out = await ctx.ds.transaction(async (m) => {
    if (idem) {
      const prior = await claimIdempotencyKey(m, user.id, "disputes", idem, newId);
      if (prior) return { id: prior, replayed: true };
    }
    const item = await disputedItem(m, user, d);
    await lockItem(m, item.itemId);
    const left = item.charged - (await refundedForItem(m, item.itemId));
    const disputed = Math.min(item.amount, left);
    if (disputed <= 0) {
      throw new InvalidRequest("Everything charged for this item was already refunded by an earlier dispute.", {
        issues: [{ path: d.jobId ? "job_id" : "transaction_id", message: "nothing left to dispute" }],
      });
    }
    const rows: DisputeRow[] = await sql(m,
      `INSERT INTO disputes (id, user_id, job_id, transaction_id, item_id, credit_type, item_charged, disputed_credits, reason, description, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
       ON CONFLICT (item_id) WHERE status <> 'resolved' DO NOTHING RETURNING ${DISPUTE_COLUMNS}`,
      [newId, user.id, item.jobId, item.transactionId, item.itemId, item.creditType, item.charged, disputed, d.reason, d.description, now],
    );
    const row = rows[0];
    if (!row) {
      const open: { id: string; status: DisputeStatus }[] = await sql(m,
        `SELECT id, status FROM disputes WHERE item_id = $1 AND status <> 'resolved'`, [item.itemId]);
      throw new InvalidState("This item already has a dispute that is not resolved yet.", { dispute_id: open[0]?.id ?? null, status: open[0]?.status ?? null });
    }
    await queueDisputeMail(ctx, m, mail, row, "opened");
    return { id: row.id, replayed: false };
  });
  await dispatchEmails(ctx, mail.ids);
  if (!out.replayed) ctx.logger.info({ disputeId: out.id, userId: user.id }, "dispute opened");
  return { dispute: toDisputeView(await disputeRow(ctx.ds.manager, out.id)), replayed: out.replayed };
}

/** One dispute: the owner's, or any for an admin; 404 otherwise. */
export async function getDispute(ctx: AppContext, user: User, id: string): Promise<DisputeView> {
  const row = await disputeRow(ctx.ds.manager, id);
  if (row.user_id !== user.id && user.role !== "admin") throw new NotFound("Dispute");
  return toDisputeView(row);
}

export interface DisputeListQuery {
  limit: number;
  cursor?: string;
  status?: DisputeStatus;
  user_id?: string;
}

/** Newest first, keyset-paginated. `user_id` set: that user's disputes; unset: everyone's (admin list). */
export async function listDisputes(ctx: AppContext, q: DisputeListQuery): Promise<Page<DisputeView>> {
  const cursor = decodeCursor(q.cursor);
  const params: unknown[] = [q.limit + 1];
  let where = "true";
  if (q.user_id) where += ` AND user_id = $${params.push(q.user_id)}`;
  if (q.status) where += ` AND status = $${params.push(q.status)}`;
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  const rows: (DisputeRow & { cursor_ts: string })[] = await sql(ctx.ds,
    `SELECT ${DISPUTE_COLUMNS}, ${cursorTs("created_at")} AS cursor_ts FROM disputes WHERE ${where}
      ORDER BY created_at DESC, id DESC LIMIT $1`,
    params,
  );
  return toPage(rows, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.id }), toDisputeView);
}
