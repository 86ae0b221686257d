import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import { toInt } from "./types";

export interface ExpireLotsResult {
  lots: number;
  expired: number;
  /** Lots whose remainder stays because pending holds still need it. */
  kept: number;
}

/**
 * Expire the unspent remainder of every lot due at `now`, never below what
 * pending holds need. Each lot is its own statement (and, called with the
 * data source's manager, its own transaction) so one busy account does not
 * hold up the rest. Safe to run twice and after downtime.
 */
export async function expireLots(m: EntityManager, now: Date = new Date(), batchSize = 500): Promise<ExpireLotsResult> {
  const out: ExpireLotsResult = { lots: 0, expired: 0, kept: 0 };
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const due: { id: string }[] = await sql(m,
      `SELECT id FROM ledger_lots WHERE remaining > 0 AND expires_at <= $1 AND id > $2 ORDER BY id LIMIT $3`,
      [now, after, batchSize],
    );
    for (const { id } of due) {
      const rows: { status: string; expired: string }[] = await sql(m, `SELECT * FROM ledger_expire_lot($1, $2)`, [id, now]);
      const r = rows[0]!;
      if (r.status === "created") {
        out.lots += 1;
        out.expired += toInt(r.expired);
      } else if (r.status === "held") {
        out.kept += 1;
      }
    }
    if (due.length < batchSize) return out;
    after = due[due.length - 1]!.id;
  }
}
