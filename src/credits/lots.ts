/**
 * A user's credit lots with something left: what each grant still holds and
 * when it expires, soonest first (the order a capture burns them after
 * priority). Read-only; the dashboard shows "120 credits expire on 3 Jan".
 */
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import { toInt } from "../ledger";
import { requireUser } from "./account";

export interface LotView {
  id: string;
  credit_type: string;
  category: string;
  amount: number;
  remaining: number;
  expires_at: string | null;
  created_at: string;
}

export async function openLots(ctx: AppContext, userId: string): Promise<{ data: LotView[]; next_cursor: null }> {
  const rows: { id: string; credit_type: string; category: string; amount: string; remaining: string; expires_at: Date | null; created_at: Date }[] = await sql(ctx.ds,
    `SELECT l.id, a.credit_type, l.category, l.amount::text, l.remaining::text, l.expires_at, l.created_at
       FROM ledger_lots l JOIN ledger_accounts a ON a.id = l.account_id
      WHERE a.kind = 'user' AND a.user_id = $1 AND l.remaining > 0
      ORDER BY l.expires_at ASC NULLS LAST, l.created_at ASC
      LIMIT 200`,
    [userId],
  );
  const data = rows.map((r) => ({
    id: r.id, credit_type: r.credit_type, category: r.category, amount: toInt(r.amount), remaining: toInt(r.remaining),
    expires_at: r.expires_at?.toISOString() ?? null, created_at: r.created_at.toISOString(),
  }));
  return { data, next_cursor: null };
}

/** An admin's view of one user's lots; 404 for an unknown user. */
export async function openLotsOfUser(ctx: AppContext, userId: string) {
  return openLots(ctx, (await requireUser(ctx.ds.manager, userId)).id);
}
