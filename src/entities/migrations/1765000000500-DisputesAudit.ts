import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Disputes and the admin audit log.
 *
 * - `ledger_transfer_type` gains the second wave's transaction types
 *   (`dispute_refund`, `clawback`, `capture`, `consume`): all four at once, so
 *   whichever helper's migration widens the domain last, the list is complete.
 * - `ledger_lot_category` gains `dispute`: a refunded dispute is a lot of its
 *   own (burn order in LOT_PRIORITY).
 * - `disputes`: one row per dispute. `item_id` is what is disputed — the job
 *   (also when the user names the job's charge transaction) or a charge that
 *   belongs to no job — and the partial unique index allows one unresolved
 *   dispute per item, so two concurrent opens cannot both succeed.
 * - `audit_log`: one row per admin action, written in the action's transaction.
 */
export class DisputesAudit1765000000500 implements MigrationInterface {
  name = "DisputesAudit1765000000500";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
ALTER DOMAIN ledger_transfer_type DROP CONSTRAINT ledger_transfer_type_check;
ALTER DOMAIN ledger_transfer_type ADD CONSTRAINT ledger_transfer_type_check
  CHECK (VALUE IN ('grant', 'purchase', 'subscription', 'hold', 'charge', 'release', 'refund', 'expire', 'adjustment',
                   'dispute_refund', 'clawback', 'capture', 'consume'));
ALTER DOMAIN ledger_lot_category DROP CONSTRAINT ledger_lot_category_check;
ALTER DOMAIN ledger_lot_category ADD CONSTRAINT ledger_lot_category_check
  CHECK (VALUE IN ('subscription', 'purchase', 'promotional', 'admin', 'dispute'));

CREATE TABLE disputes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id),
  job_id uuid REFERENCES jobs (id),
  -- A ledger transfer (the ledger tables carry no foreign keys; see the Foundation migration).
  transaction_id uuid,
  item_id uuid NOT NULL,
  credit_type text NOT NULL,
  -- What the item was charged in all, and what this dispute may give back of it (the rest, after
  -- earlier disputes of the same item); a refund re-checks both under the item's lock.
  item_charged bigint NOT NULL,
  disputed_credits bigint NOT NULL CHECK (disputed_credits > 0 AND disputed_credits <= item_charged),
  reason text NOT NULL CHECK (reason IN ('failed_job', 'wrong_charge', 'quality', 'other')),
  description text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'under_review', 'resolved')),
  outcome text CHECK (outcome IN ('refunded', 'rejected')),
  refunded_credits bigint NOT NULL DEFAULT 0,
  refund_transfer_id uuid,
  admin_note text CHECK (length(admin_note) <= 2000),
  reviewed_by uuid REFERENCES users (id),
  resolved_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  reviewed_at timestamptz,
  resolved_at timestamptz,
  CHECK (job_id IS NOT NULL OR transaction_id IS NOT NULL),
  CHECK ((status = 'resolved') = (outcome IS NOT NULL) AND (status = 'resolved') = (resolved_at IS NOT NULL)),
  -- Never more back than was disputed; a refund refunds something, a rejection nothing.
  CHECK (refunded_credits >= 0 AND refunded_credits <= disputed_credits),
  CHECK ((outcome = 'refunded') = (refunded_credits > 0) AND (outcome = 'refunded') = (refund_transfer_id IS NOT NULL))
);
CREATE UNIQUE INDEX disputes_one_unresolved_per_item ON disputes (item_id) WHERE status <> 'resolved';
CREATE INDEX disputes_item_idx ON disputes (item_id);
CREATE INDEX disputes_user_idx ON disputes (user_id, created_at DESC, id DESC);
CREATE INDEX disputes_status_idx ON disputes (status, created_at DESC, id DESC);
CREATE INDEX disputes_job_idx ON disputes (job_id, created_at DESC) WHERE job_id IS NOT NULL;

CREATE TABLE audit_log (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  actor_id uuid REFERENCES users (id),
  action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
  user_id uuid REFERENCES users (id),
  before jsonb,
  after jsonb,
  reason text CHECK (length(reason) <= 2000),
  request_id text CHECK (length(request_id) <= 200),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_user_idx ON audit_log (user_id, created_at DESC, id DESC);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC);
`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
DROP TABLE IF EXISTS audit_log, disputes;
-- NOT VALID: rows written with the wider lists stay (the books must not change on a rollback of the schema).
ALTER DOMAIN ledger_lot_category DROP CONSTRAINT ledger_lot_category_check;
ALTER DOMAIN ledger_lot_category ADD CONSTRAINT ledger_lot_category_check
  CHECK (VALUE IN ('subscription', 'purchase', 'promotional', 'admin')) NOT VALID;
ALTER DOMAIN ledger_transfer_type DROP CONSTRAINT ledger_transfer_type_check;
ALTER DOMAIN ledger_transfer_type ADD CONSTRAINT ledger_transfer_type_check
  CHECK (VALUE IN ('grant', 'purchase', 'subscription', 'hold', 'charge', 'release', 'refund', 'expire', 'adjustment')) NOT VALID;
`);
  }
}
