/**
 * The transaction history as users see it. The ledger stores a capture of
 * any hold as a `charge` (its PL/pgSQL functions fix the type); here a
 * charge of a holds-API hold reads as `capture`, and of POST /credits/consume
 * as `consume`, by joining app_holds on the hold the transfer belongs to.
 * A consume's own pending transfer is not shown: to the user it is one
 * `consume`, not a hold and a charge.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import type { TransactionType } from "../entities/ledger-transfer";
import { NotFound } from "../errors";
import { cursorTs, decodeCursor, type Page, toPage } from "../lib/pagination";
import { type Transaction, toInt } from "../ledger";

export interface HistoryTransaction extends Transaction {
  /** The holds-API hold this transaction belongs to (null for jobs, grants, consume…). */
  hold_id: string | null;
}

export interface HistoryFilter {
  limit: number;
  cursor?: string;
  type?: TransactionType;
  jobId?: string;
}

interface Row {
  id: string;
  type: TransactionType;
  amount: string;
  credit_type: string;
  description: string | null;
  job_id: string | null;
  hold_id: string | null;
  created_at: Date;
  cursor_ts: string;
}

// A transfer's hold: its own id for the pending transfer, pending_id for the post and void rows.
const MAPPED = `
  SELECT t.id, t.user_id, t.amount, t.credit_type, t.description, t.job_id, t.created_at,
         CASE WHEN t.kind = 'post' AND h.kind = 'hold' THEN 'capture'
              WHEN t.kind = 'post' AND h.kind = 'consume' THEN 'consume'
              ELSE t.type END AS type,
         CASE WHEN h.kind = 'hold' THEN h.id END AS hold_id
    FROM ledger_transfers t
    LEFT JOIN app_holds h ON h.id = coalesce(t.pending_id, CASE WHEN t.kind = 'pending' THEN t.id END)
   WHERE NOT (t.kind = 'pending' AND h.kind IS NOT DISTINCT FROM 'consume')`;

function view(r: Row): HistoryTransaction {
  return {
    id: r.id, type: r.type, amount: toInt(r.amount), credit_type: r.credit_type, description: r.description,
    job_id: r.job_id, hold_id: r.hold_id, created_at: r.created_at.toISOString(),
  };
}

/** The user's history, newest first, keyset-paginated. */
export async function history(m: EntityManager, userId: string, q: HistoryFilter): Promise<Page<HistoryTransaction>> {
  const cursor = decodeCursor(q.cursor);
  const params: unknown[] = [userId, q.limit + 1];
  let where = `x.user_id = $1`;
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where += ` AND (x.created_at, x.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  if (q.type) {
    params.push(q.type);
    where += ` AND x.type = $${params.length}`;
  }
  if (q.jobId) {
    params.push(q.jobId);
    where += ` AND x.job_id = $${params.length}`;
  }
  const rows: Row[] = await sql(m,
    `SELECT x.*, ${cursorTs("x.created_at")} AS cursor_ts FROM (${MAPPED} AND t.user_id = $1) x
      WHERE ${where} ORDER BY x.created_at DESC, x.id DESC LIMIT $2`,
    params,
  );
  return toPage(rows, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.id }), view);
}

/** One transfer in the history's shape. */
export async function historyTransaction(m: EntityManager, id: string): Promise<HistoryTransaction> {
  const rows: Row[] = await sql(m, `SELECT x.*, '' AS cursor_ts FROM (${MAPPED} AND t.id = $1) x`, [id]);
  if (!rows[0]) throw new NotFound("Transaction");
  return view(rows[0]);
}
