/**
 * A user's credit account as the API shows it: balance (with the credit
 * service status) and transaction history. Used for the caller's own
 * account and, by admins, for anyone's.
 */
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { type CreditStatus, type User, UserEntity } from "../entities/user";
import { NotFound } from "../errors";
import { UUID_RE } from "../lib/ids";
import type { Page } from "../lib/pagination";
import * as ledger from "../ledger";
import type { TransactionType } from "../entities/ledger-transfer";

export interface BalanceView extends ledger.Balances {
  status: CreditStatus;
}

export async function balanceView(ctx: AppContext, user: Pick<User, "id" | "creditStatus">, creditType?: string): Promise<BalanceView> {
  const b = await ledger.balances(ctx.ds.manager, user.id, creditType);
  return { ...b, status: user.creditStatus };
}

export interface TransactionsQuery {
  limit: number;
  cursor?: string;
  type?: TransactionType;
  job_id?: string;
}

export async function transactionHistory(ctx: AppContext, userId: string, q: TransactionsQuery): Promise<Page<ledger.Transaction>> {
  return ledger.transactions(ctx.ds.manager, userId, { limit: q.limit, cursor: q.cursor, type: q.type, jobId: q.job_id });
}

/** One transfer in the history's shape (what admin add/remove answers with). */
export async function transactionById(m: EntityManager, id: string): Promise<ledger.Transaction> {
  const rows: { id: string; type: TransactionType; amount: string; credit_type: string; description: string | null; job_id: string | null; created_at: Date }[] =
    await m.query(`SELECT id, type, amount, credit_type, description, job_id, created_at FROM ledger_transfers WHERE id = $1`, [id]);
  const r = rows[0];
  if (!r) throw new NotFound("Transaction");
  return { id: r.id, type: r.type, amount: ledger.toInt(r.amount), credit_type: r.credit_type, description: r.description, job_id: r.job_id, created_at: r.created_at.toISOString() };
}

/** The user with this id, or 404 (also for something that is not a UUID). */
export async function requireUser(m: EntityManager, id: string): Promise<User> {
  if (!UUID_RE.test(id)) throw new NotFound("User");
  const user = await m.getRepository(UserEntity).findOneBy({ id });
  if (!user) throw new NotFound("User");
  return user;
}

// ---- one user's account looked up by id (admin views): 404 for an unknown user

export async function balanceOfUser(ctx: AppContext, userId: string, creditType?: string): Promise<BalanceView> {
  return balanceView(ctx, await requireUser(ctx.ds.manager, userId), creditType);
}

export async function historyOfUser(ctx: AppContext, userId: string, q: TransactionsQuery): Promise<Page<ledger.Transaction>> {
  return transactionHistory(ctx, (await requireUser(ctx.ds.manager, userId)).id, q);
}
