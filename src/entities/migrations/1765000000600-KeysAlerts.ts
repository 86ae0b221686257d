import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * API key listing, anomaly alerts, and cheap time-range scans for the
 * alert detectors.
 *
 * - api_keys already has name, prefix, last_used_at and revoked_at (Foundation);
 *   a user's key list is read newest first, so index that order.
 * - alerts: one row per raised alert. `dedupe_key` (type, subject and time
 *   window) is UNIQUE, so a detector that runs twice, or two processes
 *   counting the same key's 402s, raise an alert once per window.
 * - BRIN indexes on ledger_transfers.created_at and jobs.created_at: both are
 *   append-mostly in time order, so a BRIN index (a few pages, almost free to
 *   maintain on insert) lets the detectors read "the last 25 hours" without a
 *   full scan and without a B-tree on the hot insert path.
 */
export class KeysAlerts1765000000600 implements MigrationInterface {
  name = "KeysAlerts1765000000600";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE INDEX api_keys_user_created_idx ON api_keys (user_id, created_at DESC, id DESC);

CREATE TABLE alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  type text NOT NULL CHECK (type IN ('spend_spike', 'estimate_drift', 'repeated_402', 'ledger_check_failed')),
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  dedupe_key text NOT NULL UNIQUE,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_created_idx ON alerts (created_at DESC, id DESC);
CREATE INDEX alerts_type_created_idx ON alerts (type, created_at DESC, id DESC);

CREATE INDEX ledger_transfers_created_brin ON ledger_transfers USING brin (created_at);
CREATE INDEX jobs_created_brin ON jobs USING brin (created_at);
`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
DROP INDEX IF EXISTS jobs_created_brin;
DROP INDEX IF EXISTS ledger_transfers_created_brin;
DROP TABLE IF EXISTS alerts;
DROP INDEX IF EXISTS api_keys_user_created_idx;
`);
  }
}
