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
import { debtState } from "./debts";
import { history, type HistoryTransaction, historyTransaction } from "./history";

export interface BalanceView extends ledger.Balances {
  status: CreditStatus;
  /** Credits owed after a refund or lost chargeback took back more than was left (src/credits/debts.ts); > 0 refuses new work. */
  debt: number;
  /** Credits frozen by open chargebacks (out of `posted` until the chargeback closes). */
  frozen: number;
}

export async function balanceView(ctx: AppContext, user: Pick<User, "id" | "creditStatus">, creditType?: string): Promise<BalanceView> {
  const b = await ledger.balances(ctx.ds.manager, user.id, creditType);
  return { ...b, status: user.creditStatus, ...(await debtState(ctx.ds.manager, user.id)) };
}

export interface TransactionsQuery {
  limit: number;
  cursor?: string;
  type?: TransactionType;
  job_id?: string;
}

export async function transactionHistory(ctx: AppContext, userId: string, q: TransactionsQuery): Promise<Page<HistoryTransaction>> {
  return history(ctx.ds.manager, userId, { limit: q.limit, cursor: q.cursor, type: q.type, jobId: q.job_id });
}

/** One transfer in the history's shape (what admin add/remove and consume answer with). */
export function transactionById(m: EntityManager, id: string): Promise<HistoryTransaction> {
  return historyTransaction(m, id);
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

export async function historyOfUser(ctx: AppContext, userId: string, q: TransactionsQuery): Promise<Page<HistoryTransaction>> {
  return transactionHistory(ctx, (await requireUser(ctx.ds.manager, userId)).id, q);
}
