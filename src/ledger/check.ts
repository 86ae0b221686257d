/**
 * The ledger's invariants, each checked over the whole database by one query.
 * Every problem names the row, what was expected and what was found.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";

export interface Problem {
  invariant: string;
  subject: string;
  expected: string;
  found: string;
}

export interface CheckReport {
  ok: boolean;
  problems: Problem[];
  counts: { accounts: number; transfers: number; pending: number; lots: number };
}

interface Rule {
  invariant: string;
  /** Returns one row per violation: subject, expected, found. */
  sql: string;
}

const RULES: Rule[] = [
  {
    // The hot ledger tables carry no foreign keys (see the Baseline migration); this is their check.
    invariant: "every reference between ledger rows points at an existing row",
    sql: `SELECT 'transfer ' || t.id AS subject, 'existing debit and credit accounts' AS expected,
                 format('debit %s%s, credit %s%s', t.debit_account_id, CASE WHEN d.id IS NULL THEN ' (missing)' ELSE '' END,
                        t.credit_account_id, CASE WHEN c.id IS NULL THEN ' (missing)' ELSE '' END) AS found
            FROM ledger_transfers t
            LEFT JOIN ledger_accounts d ON d.id = t.debit_account_id
            LEFT JOIN ledger_accounts c ON c.id = t.credit_account_id
           WHERE d.id IS NULL OR c.id IS NULL
          UNION ALL
          SELECT 'transfer ' || t.id, 'its pending transfer ' || t.pending_id || ' to exist', 'missing'
            FROM ledger_transfers t WHERE t.pending_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger_transfers p WHERE p.id = t.pending_id)
          UNION ALL
          SELECT 'lot consumption ' || c.transfer_id || '/' || c.lot_id, 'an existing transfer and lot',
                 concat_ws(' and ', CASE WHEN t.id IS NULL THEN 'no transfer' END, CASE WHEN l.id IS NULL THEN 'no lot' END)
            FROM ledger_lot_consumptions c
            LEFT JOIN ledger_transfers t ON t.id = c.transfer_id
            LEFT JOIN ledger_lots l ON l.id = c.lot_id
           WHERE t.id IS NULL OR l.id IS NULL`,
  },
  {
    invariant: "zero-sum of posted credits and debits over all accounts",
    sql: `SELECT 'all accounts' AS subject, '0' AS expected, (sum(credits_posted) - sum(debits_posted))::text AS found
            FROM ledger_accounts HAVING coalesce(sum(credits_posted) - sum(debits_posted), 0) <> 0`,
  },
  {
    invariant: "zero-sum of pending credits and debits over all accounts",
    sql: `SELECT 'all accounts' AS subject, '0' AS expected, (sum(credits_pending) - sum(debits_pending))::text AS found
            FROM ledger_accounts HAVING coalesce(sum(credits_pending) - sum(debits_pending), 0) <> 0`,
  },
  {
    invariant: "each account's columns equal the sum of its transfers",
    sql: `WITH legs AS (
            SELECT t.debit_account_id AS account_id,
                   CASE WHEN t.kind IN ('plain', 'post') THEN t.amount ELSE 0 END AS debits_posted,
                   0::bigint AS credits_posted,
                   CASE WHEN t.kind = 'pending' AND p.state = 'pending' THEN t.amount ELSE 0 END AS debits_pending,
                   0::bigint AS credits_pending
              FROM ledger_transfers t LEFT JOIN ledger_pending p ON p.transfer_id = t.id
            UNION ALL
            SELECT t.credit_account_id, 0, CASE WHEN t.kind IN ('plain', 'post') THEN t.amount ELSE 0 END,
                   0, CASE WHEN t.kind = 'pending' AND p.state = 'pending' THEN t.amount ELSE 0 END
              FROM ledger_transfers t LEFT JOIN ledger_pending p ON p.transfer_id = t.id
          ), sums AS (
            SELECT account_id, sum(debits_posted) dp, sum(credits_posted) cp, sum(debits_pending) dq, sum(credits_pending) cq
              FROM legs GROUP BY account_id
          )
          SELECT 'account ' || a.id || coalesce(' (user ' || a.user_id || ', ' || a.credit_type || ')', ' (' || a.system_code || ' #' || a.shard || ', ' || a.credit_type || ')') AS subject,
                 format('credits_posted=%s debits_posted=%s credits_pending=%s debits_pending=%s',
                        coalesce(s.cp, 0), coalesce(s.dp, 0), coalesce(s.cq, 0), coalesce(s.dq, 0)) AS expected,
                 format('credits_posted=%s debits_posted=%s credits_pending=%s debits_pending=%s',
                        a.credits_posted, a.debits_posted, a.credits_pending, a.debits_pending) AS found
            FROM ledger_accounts a LEFT JOIN sums s ON s.account_id = a.id
           WHERE a.credits_posted <> coalesce(s.cp, 0) OR a.debits_posted <> coalesce(s.dp, 0)
              OR a.credits_pending <> coalesce(s.cq, 0) OR a.debits_pending <> coalesce(s.dq, 0)`,
  },
  {
    invariant: "no user account below zero",
    sql: `SELECT 'account ' || id || ' (user ' || user_id || ', ' || credit_type || ')' AS subject,
                 'available >= 0' AS expected,
                 format('available=%s (posted %s, held %s)', credits_posted - debits_posted - debits_pending,
                        credits_posted - debits_posted, debits_pending) AS found
            FROM ledger_accounts WHERE kind = 'user' AND credits_posted - debits_posted - debits_pending < 0`,
  },
  {
    invariant: "every pending transfer has exactly one state row",
    sql: `SELECT 'transfer ' || t.id AS subject, 'one ledger_pending row with the same account and amount' AS expected,
                 coalesce(format('account %s amount %s', p.account_id, p.amount), 'none') AS found
            FROM ledger_transfers t LEFT JOIN ledger_pending p ON p.transfer_id = t.id
           WHERE t.kind = 'pending' AND (p.transfer_id IS NULL OR p.account_id <> t.debit_account_id OR p.amount <> t.amount)
          UNION ALL
          SELECT 'pending state ' || p.transfer_id, 'a pending transfer', coalesce(t.kind, 'no transfer')
            FROM ledger_pending p LEFT JOIN ledger_transfers t ON t.id = p.transfer_id
           WHERE t.id IS NULL OR t.kind <> 'pending'`,
  },
  {
    invariant: "every hold is pending, or resolved exactly once (post + released remainder = held)",
    sql: `WITH r AS (
            SELECT pending_id,
                   sum(amount) FILTER (WHERE kind = 'post') AS posted, count(*) FILTER (WHERE kind = 'post') AS posts,
                   sum(amount) FILTER (WHERE kind = 'void') AS voided, count(*) FILTER (WHERE kind = 'void') AS voids
              FROM ledger_transfers WHERE pending_id IS NOT NULL GROUP BY pending_id
          )
          SELECT 'hold ' || p.transfer_id || ' (' || p.state || ')' AS subject,
                 CASE WHEN p.state = 'pending' THEN 'no resolving transfers'
                      ELSE format('post %s + release %s = %s', p.posted_amount, p.amount - p.posted_amount, p.amount) END AS expected,
                 format('%s post(s) of %s, %s release(s) of %s', coalesce(r.posts, 0), coalesce(r.posted, 0), coalesce(r.voids, 0), coalesce(r.voided, 0)) AS found
            FROM ledger_pending p LEFT JOIN r ON r.pending_id = p.transfer_id
           WHERE (p.state = 'pending' AND r.pending_id IS NOT NULL)
              OR (p.state <> 'pending' AND (
                    coalesce(r.posted, 0) <> p.posted_amount
                 OR coalesce(r.voided, 0) <> p.amount - p.posted_amount
                 OR coalesce(r.posts, 0) > 1 OR coalesce(r.voids, 0) > 1))`,
  },
  {
    invariant: "resolving transfers match their hold's accounts",
    sql: `SELECT 'transfer ' || t.id AS subject, format('accounts %s -> %s', p.debit_account_id, p.credit_account_id) AS expected,
                 format('accounts %s -> %s', t.debit_account_id, t.credit_account_id) AS found
            FROM ledger_transfers t JOIN ledger_transfers p ON p.id = t.pending_id
           WHERE t.debit_account_id <> p.debit_account_id OR t.credit_account_id <> p.credit_account_id OR p.kind <> 'pending'`,
  },
  {
    invariant: "each lot's remainder equals its amount less what was burnt from it",
    sql: `SELECT 'lot ' || l.id AS subject, format('remaining %s', l.amount - coalesce(sum(c.amount), 0)) AS expected,
                 format('remaining %s', l.remaining) AS found
            FROM ledger_lots l LEFT JOIN ledger_lot_consumptions c ON c.lot_id = l.id
           GROUP BY l.id HAVING l.remaining <> l.amount - coalesce(sum(c.amount), 0)`,
  },
  {
    invariant: "each user account's lots add up to its posted balance",
    sql: `SELECT 'account ' || a.id || ' (user ' || a.user_id || ', ' || a.credit_type || ')' AS subject,
                 format('lots remaining %s', a.credits_posted - a.debits_posted) AS expected,
                 format('lots remaining %s', coalesce(sum(l.remaining), 0)) AS found
            FROM ledger_accounts a LEFT JOIN ledger_lots l ON l.account_id = a.id
           WHERE a.kind = 'user'
           GROUP BY a.id HAVING a.credits_posted - a.debits_posted <> coalesce(sum(l.remaining), 0)`,
  },
  {
    invariant: "every credit into a user account made a lot of the same amount; every debit from one burnt lots of that amount",
    sql: `SELECT 'transfer ' || t.id AS subject, format('lot of %s', t.amount) AS expected, coalesce(format('lot of %s', l.amount), 'no lot') AS found
            FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.credit_account_id AND a.kind = 'user'
            LEFT JOIN ledger_lots l ON l.grant_transfer_id = t.id
           WHERE t.kind = 'plain' AND (l.id IS NULL OR l.amount <> t.amount OR l.account_id <> t.credit_account_id)
          UNION ALL
          SELECT 'transfer ' || t.id, format('lots burnt %s', t.amount), format('lots burnt %s', coalesce(sum(c.amount), 0))
            FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.debit_account_id AND a.kind = 'user'
            LEFT JOIN ledger_lot_consumptions c ON c.transfer_id = t.id
           WHERE t.kind IN ('plain', 'post')
           GROUP BY t.id, t.amount HAVING coalesce(sum(c.amount), 0) <> t.amount`,
  },
  // Debts (src/credits/debts.ts) live beside the ledger: balances stay = lots and never negative, and
  // every credit a refund or chargeback reclaimed is either a clawback transfer or a recorded debt.
  {
    // A reversal is of a purchase (checkout_id) or of a subscription invoice (stripe_invoice_id); its clawbacks and debts name it the same way.
    invariant: "each refunded or charged-back purchase's reclaimed credits equal its clawback transfers plus its recorded debts",
    sql: `SELECT coalesce('purchase ' || r.checkout_id, 'invoice ' || r.stripe_invoice_id) AS subject, format('reclaimed %s', r.reclaimed_credits) AS expected,
                 format('clawed back %s + debt %s', coalesce(t.amount, 0), coalesce(d.amount, 0)) AS found
            FROM purchase_reversals r
            LEFT JOIN (SELECT coalesce(metadata->>'checkout_id', metadata->>'stripe_invoice_id') AS item, sum(amount) AS amount FROM ledger_transfers
                        WHERE type = 'clawback' AND (metadata ? 'checkout_id' OR metadata ? 'stripe_invoice_id') GROUP BY 1) t
              ON t.item = coalesce(r.checkout_id::text, r.stripe_invoice_id)
            LEFT JOIN (SELECT coalesce(checkout_id::text, stripe_invoice_id) AS item, sum(amount) AS amount FROM credit_debts GROUP BY 1) d
              ON d.item = coalesce(r.checkout_id::text, r.stripe_invoice_id)
           WHERE r.reclaimed_credits <> coalesce(t.amount, 0) + coalesce(d.amount, 0)`,
  },
  {
    // Per credit type too: an invoice can pay for grants of two types, each reversed in its own account.
    invariant: "each reversed item's reclaimed credits of a type equal its clawback transfers plus its debts of that type, and sum to its total",
    sql: `SELECT coalesce('purchase ' || r.checkout_id, 'invoice ' || r.stripe_invoice_id) || ' ' || rt.credit_type AS subject,
                 format('reclaimed %s', rt.reclaimed_credits) AS expected,
                 format('clawed back %s + debt %s', coalesce(t.amount, 0), coalesce(d.amount, 0)) AS found
            FROM purchase_reversal_types rt JOIN purchase_reversals r ON r.id = rt.reversal_id
            LEFT JOIN (SELECT coalesce(metadata->>'checkout_id', metadata->>'stripe_invoice_id') AS item, credit_type, sum(amount) AS amount FROM ledger_transfers
                        WHERE type = 'clawback' AND (metadata ? 'checkout_id' OR metadata ? 'stripe_invoice_id') GROUP BY 1, 2) t
              ON t.item = coalesce(r.checkout_id::text, r.stripe_invoice_id) AND t.credit_type = rt.credit_type
            LEFT JOIN (SELECT coalesce(checkout_id::text, stripe_invoice_id) AS item, credit_type, sum(amount) AS amount FROM credit_debts GROUP BY 1, 2) d
              ON d.item = coalesce(r.checkout_id::text, r.stripe_invoice_id) AND d.credit_type = rt.credit_type
           WHERE rt.reclaimed_credits <> coalesce(t.amount, 0) + coalesce(d.amount, 0)
          UNION ALL
          SELECT coalesce('purchase ' || r.checkout_id, 'invoice ' || r.stripe_invoice_id), format('reclaimed %s', r.reclaimed_credits),
                 format('reclaimed by type %s', coalesce(sum(rt.reclaimed_credits), 0))
            FROM purchase_reversals r LEFT JOIN purchase_reversal_types rt ON rt.reversal_id = r.id
           GROUP BY r.id HAVING r.reclaimed_credits <> coalesce(sum(rt.reclaimed_credits), 0)`,
  },
  {
    invariant: "each user's repaid debt equals the clawback transfers that repaid it, and no debt is settled beyond its amount",
    sql: `SELECT 'user ' || coalesce(d.user_id, t.user_id) AS subject, format('repaid %s', coalesce(t.amount, 0)) AS expected,
                 format('repaid %s', coalesce(d.repaid, 0)) AS found
            FROM (SELECT user_id, sum(repaid) AS repaid FROM credit_debts GROUP BY 1) d
            FULL JOIN (SELECT user_id, sum(amount) AS amount FROM ledger_transfers WHERE type = 'clawback' AND metadata ? 'debt_ids' GROUP BY 1) t
              ON t.user_id = d.user_id
           WHERE coalesce(d.repaid, 0) <> coalesce(t.amount, 0)
          UNION ALL
          SELECT 'debt ' || id, format('repaid + forgiven <= %s', amount), format('repaid %s, forgiven %s', repaid, forgiven)
            FROM credit_debts WHERE repaid + forgiven > amount OR repaid < 0 OR forgiven < 0`,
  },
];

/**
 * Check every invariant of DESIGN.md. Run it in a REPEATABLE READ (or
 * stricter) transaction for a consistent snapshot while others write;
 * `ledger:check` does.
 */
export async function checkLedger(m: EntityManager): Promise<CheckReport> {
  const problems: Problem[] = [];
  for (const rule of RULES) {
    const rows: { subject: string; expected: string; found: string }[] = await sql(m, rule.sql);
    for (const r of rows) problems.push({ invariant: rule.invariant, subject: r.subject, expected: r.expected, found: r.found });
  }
  const [c] = (await sql(m,
    `SELECT (SELECT count(*) FROM ledger_accounts)::int AS accounts, (SELECT count(*) FROM ledger_transfers)::int AS transfers,
            (SELECT count(*) FROM ledger_pending WHERE state = 'pending')::int AS pending, (SELECT count(*) FROM ledger_lots)::int AS lots`,
  )) as [CheckReport["counts"]];
  return { ok: problems.length === 0, problems, counts: c };
}

export function formatReport(r: CheckReport): string {
  const head = `ledger check: ${r.counts.accounts} accounts, ${r.counts.transfers} transfers, ${r.counts.pending} open holds, ${r.counts.lots} lots`;
  if (r.ok) return `${head}\nOK: every invariant holds.`;
  const lines = r.problems.map((p) => `- [${p.invariant}] ${p.subject}: expected ${p.expected}, found ${p.found}`);
  return `${head}\nFAILED: ${r.problems.length} problem(s)\n${lines.join("\n")}`;
}
