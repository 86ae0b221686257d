import type { MigrationInterface, QueryRunner } from "typeorm";
import { applySqlFiles } from "../../db/sql-files";

/**
 * Stripe refunds and chargebacks take purchased credits back (issue 14 §2).
 *
 * - `ledger_system_code` gains `clawback`: the system account that receives
 *   credits taken back (and, while a chargeback is open, the frozen ones).
 * - `purchase_reversals`: per purchase (checkout), what Stripe says was
 *   refunded or lost in chargebacks (cumulative cents, only ever growing) and
 *   how many credits were already reclaimed for it (taken back + recorded as
 *   debt), so a second partial refund takes only the difference and a replay
 *   nothing.
 * - `stripe_chargebacks`: one row per Stripe dispute (its id), its state and
 *   the credits it froze; `paused_account` says the account's pause is this
 *   chargeback's (resumed only then).
 * - `credit_debts`: what a clawback could not take because it was already
 *   spent. Never a negative balance: the debt lives beside the ledger, and an
 *   account with an outstanding debt places no holds. Repaid by later
 *   purchases (a `clawback` transfer from the new lot) or forgiven by an admin.
 * - `users.pause_reason`: why the credit service is paused (an admin's reason,
 *   or `chargeback:<dispute id>`).
 * - `ledger_take_lots`: take credits out of particular lots.
 */
export class Clawbacks1765000000900 implements MigrationInterface {
  name = "Clawbacks1765000000900";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
ALTER DOMAIN ledger_system_code DROP CONSTRAINT IF EXISTS ledger_system_code_check;
ALTER DOMAIN ledger_system_code ADD CONSTRAINT ledger_system_code_check
  CHECK (VALUE IN ('issuance', 'consumption', 'expiry', 'adjustment', 'clawback'));

ALTER TABLE users ADD COLUMN pause_reason text CHECK (length(pause_reason) <= 2000);

CREATE TABLE purchase_reversals (
  checkout_id uuid PRIMARY KEY REFERENCES checkouts (id),
  user_id uuid NOT NULL REFERENCES users (id),
  stripe_charge_id text,
  refunded_cents bigint NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0),
  lost_cents bigint NOT NULL DEFAULT 0 CHECK (lost_cents >= 0),
  -- Credits reclaimed for this purchase so far: taken back by clawback transfers plus recorded as debt.
  reclaimed_credits bigint NOT NULL DEFAULT 0 CHECK (reclaimed_credits >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX purchase_reversals_charge_idx ON purchase_reversals (stripe_charge_id);

CREATE TABLE stripe_chargebacks (
  id text PRIMARY KEY,
  checkout_id uuid NOT NULL REFERENCES checkouts (id),
  user_id uuid NOT NULL REFERENCES users (id),
  status text NOT NULL CHECK (status IN ('open', 'won', 'lost')),
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  -- Set when the purchase's remaining credits were frozen (once; 0 credits when nothing was left to freeze).
  frozen_at timestamptz,
  frozen_credits bigint NOT NULL DEFAULT 0 CHECK (frozen_credits >= 0),
  -- The lot the frozen credits came back into (won or lost), so a lost chargeback's clawback can take them.
  restored_lot_id uuid,
  paused_account boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX stripe_chargebacks_checkout_idx ON stripe_chargebacks (checkout_id);
CREATE INDEX stripe_chargebacks_open_idx ON stripe_chargebacks (user_id) WHERE status = 'open';

CREATE TABLE credit_debts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id),
  credit_type text NOT NULL,
  checkout_id uuid REFERENCES checkouts (id),
  reason text NOT NULL CHECK (reason IN ('refund', 'chargeback')),
  amount bigint NOT NULL CHECK (amount > 0),
  repaid bigint NOT NULL DEFAULT 0 CHECK (repaid >= 0),
  forgiven bigint NOT NULL DEFAULT 0 CHECK (forgiven >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (repaid + forgiven <= amount)
);
-- Admission asks "does this user owe anything?" on every submission: only open debts are indexed.
CREATE INDEX credit_debts_open_idx ON credit_debts (user_id, created_at) WHERE repaid + forgiven < amount;
CREATE INDEX credit_debts_user_idx ON credit_debts (user_id, created_at DESC);
`);
    await applySqlFiles(q, ["ledger_take_lots"]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
DROP FUNCTION IF EXISTS ledger_take_lots(uuid, uuid, uuid[], bigint, text, text, text, jsonb);
DROP TABLE IF EXISTS credit_debts, stripe_chargebacks, purchase_reversals;
ALTER TABLE users DROP COLUMN IF EXISTS pause_reason;
-- NOT VALID: system accounts created with the wider list stay (the books must not change on a rollback of the schema).
ALTER DOMAIN ledger_system_code DROP CONSTRAINT IF EXISTS ledger_system_code_check;
ALTER DOMAIN ledger_system_code ADD CONSTRAINT ledger_system_code_check
  CHECK (VALUE IN ('issuance', 'consumption', 'expiry', 'adjustment')) NOT VALID;
`);
  }
}
