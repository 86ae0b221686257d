import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Refunds and chargebacks reverse every credit type a payment granted, and a
 * chargeback freezes every lot of it, including lots granted after it opened
 * (src/billing/reversals.ts).
 *
 * - `purchase_reversal_types`: per reversed item and credit type, the credits
 *   reclaimed so far in that type (clawed back + recorded as debt). The
 *   item's `purchase_reversals.reclaimed_credits` stays their sum.
 * - `stripe_chargeback_lots`: per chargeback, each of the item's lots it froze
 *   (what was left of it, possibly 0) and the lot those credits came back into
 *   when it closed. A lot granted after the chargeback opened has no row yet,
 *   so it is frozen then.
 *
 * Backfill: before this, an item was reversed in one credit type (a checkout's,
 * or the invoice's first grant's), and a chargeback froze its lots once in one
 * transfer (`derivedId(dispute, "freeze")`), whose lot consumptions say which lots
 * and how much; they came back together into the chargeback's `restored_lot_id`.
 */
export class ReversalsByCreditType1765000001700 implements MigrationInterface {
  name = "ReversalsByCreditType1765000001700";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE TABLE purchase_reversal_types (
  reversal_id uuid NOT NULL REFERENCES purchase_reversals (id) ON DELETE CASCADE,
  credit_type text NOT NULL,
  reclaimed_credits bigint NOT NULL DEFAULT 0 CHECK (reclaimed_credits >= 0),
  PRIMARY KEY (reversal_id, credit_type)
);

CREATE TABLE stripe_chargeback_lots (
  chargeback_id text NOT NULL REFERENCES stripe_chargebacks (id) ON DELETE CASCADE,
  lot_id uuid NOT NULL,
  credit_type text NOT NULL,
  frozen_credits bigint NOT NULL CHECK (frozen_credits >= 0),
  restored_lot_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chargeback_id, lot_id)
);

INSERT INTO purchase_reversal_types (reversal_id, credit_type, reclaimed_credits)
SELECT r.id, coalesce(c.credit_type, g.credit_type, 'standard'), r.reclaimed_credits
  FROM purchase_reversals r
  LEFT JOIN checkouts c ON c.id = r.checkout_id
  LEFT JOIN LATERAL (SELECT p.credit_type FROM subscription_grants sg JOIN packages p ON p.id = sg.package_id
                      WHERE sg.stripe_invoice_id = r.stripe_invoice_id ORDER BY sg.created_at, sg.transfer_id LIMIT 1) g ON true
 WHERE r.reclaimed_credits > 0;

INSERT INTO stripe_chargeback_lots (chargeback_id, lot_id, credit_type, frozen_credits, restored_lot_id)
SELECT cb.id, lc.lot_id, t.credit_type, lc.amount, cb.restored_lot_id
  FROM stripe_chargebacks cb
  JOIN ledger_transfers t ON t.id = md5(cb.id || ':freeze')::uuid
  JOIN ledger_lot_consumptions lc ON lc.transfer_id = t.id
 WHERE cb.frozen_at IS NOT NULL;
`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS stripe_chargeback_lots, purchase_reversal_types;`);
  }
}
