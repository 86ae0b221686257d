import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import type { TransactionType } from "../entities/ledger-transfer";
import { cursorTs, decodeCursor, type Page, toPage } from "../lib/pagination";
import { type Balance, DEFAULT_CREDIT_TYPE, toInt } from "./types";

export interface Balances extends Balance {
  by_type: Balance[];
}

/**
 * posted = credits − debits; held = pending debits; available = posted − held,
 * less what lots past their expiry hold that the expiry task has not swept
 * yet and no earlier hold needs (ledger_expired_unbacked): exactly what the
 * ledger's hold admits.
 */
export async function balances(m: EntityManager, userId: string, creditType = DEFAULT_CREDIT_TYPE): Promise<Balances> {
  const rows: { credit_type: string; posted: string; held: string; expired: string }[] = await sql(m,
    `SELECT a.credit_type, a.credits_posted - a.debits_posted AS posted, a.debits_pending AS held,
            ledger_expired_unbacked(a.id) AS expired
       FROM ledger_accounts a WHERE a.kind = 'user' AND a.user_id = $1 ORDER BY a.credit_type`,
    [userId],
  );
  const byType = rows.map((r) => {
    const posted = toInt(r.posted);
    const held = toInt(r.held);
    return { credit_type: r.credit_type, available: Math.max(0, posted - held - toInt(r.expired)), held, posted };
  });
  const main = byType.find((b) => b.credit_type === creditType) ?? { credit_type: creditType, available: 0, held: 0, posted: 0 };
  return { ...main, by_type: byType.length > 0 ? byType : [main] };
}

export interface Transaction {
  id: string;
  type: TransactionType;
  /** Always positive; `type` says which way it moved. */
  amount: number;
  credit_type: string;
  description: string | null;
  job_id: string | null;
  created_at: string;
}

export interface HistoryQuery {
  limit: number;
  cursor?: string;
  type?: TransactionType;
  jobId?: string;
}

/** The user's transaction history, newest first, keyset-paginated. */
export async function transactions(m: EntityManager, userId: string, q: HistoryQuery): Promise<Page<Transaction>> {
  const cursor = decodeCursor(q.cursor);
  const params: unknown[] = [userId, q.limit + 1];
  let where = `user_id = $1`;
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  if (q.type) {
    params.push(q.type);
    where += ` AND type = $${params.length}`;
  }
  if (q.jobId) {
    params.push(q.jobId);
    where += ` AND job_id = $${params.length}`;
  }
  const rows: { id: string; type: TransactionType; amount: string; credit_type: string; description: string | null; job_id: string | null; created_at: Date; cursor_ts: string }[] =
    await sql(m,
      `SELECT id, type, amount, credit_type, description, job_id, created_at, ${cursorTs("created_at")} AS cursor_ts FROM ledger_transfers
        WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
  return toPage(rows, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.id }), (r) => ({
    id: r.id,
    type: r.type,
    amount: toInt(r.amount),
    credit_type: r.credit_type,
    description: r.description,
    job_id: r.job_id,
    created_at: r.created_at.toISOString(),
  }));
}
