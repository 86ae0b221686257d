import type { MigrationInterface, QueryRunner } from "typeorm";
import { applySqlFiles } from "../../db/sql-files";

/**
 * Spend limits (issue 14) and expired lots at admission (issue 13):
 * - spend_limits: per user, the user's own daily / monthly limit and the
 *   admin's ceilings (credits; NULL = none). The limit in force is
 *   least(own, ceiling) — PostgreSQL's least ignores NULLs.
 * - ledger_accounts.spend_limit_daily / _monthly: that limit in force,
 *   copied onto each of the user's accounts, so a hold reads it from the row
 *   it locks anyway; NULL on both (the common case) skips every limit query.
 * - the hold functions check expired-but-unswept lots and the limits under
 *   the account's row lock (ledger_admission_refusal, ledger_spent,
 *   ledger_expired_unbacked); the expiry task keeps a lot past its expiry
 *   only for holds placed before it expired (ledger_expire_lot).
 */
export class SpendLimits1765000000800 implements MigrationInterface {
  name = "SpendLimits1765000000800";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE TABLE spend_limits (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  daily bigint CHECK (daily >= 0),
  monthly bigint CHECK (monthly >= 0),
  ceiling_daily bigint CHECK (ceiling_daily >= 0),
  ceiling_monthly bigint CHECK (ceiling_monthly >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT spend_limits_daily_under_ceiling CHECK (daily <= ceiling_daily),
  CONSTRAINT spend_limits_monthly_under_ceiling CHECK (monthly <= ceiling_monthly)
);
ALTER TABLE ledger_accounts ADD COLUMN spend_limit_daily bigint, ADD COLUMN spend_limit_monthly bigint;
`);
    await applySqlFiles(q, [
      "ledger_spent", "ledger_expired_unbacked", "ledger_admission_refusal", "ledger_hold", "ledger_hold_many", "ledger_hold_each_many",
      "ledger_user_account", "ledger_expire_lot",
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
DROP FUNCTION IF EXISTS ledger_admission_refusal(uuid, bigint, bigint, bigint, bigint, bigint, bigint);
DROP FUNCTION IF EXISTS ledger_spent(uuid, timestamptz);
DROP FUNCTION IF EXISTS ledger_expired_unbacked(uuid);
ALTER TABLE ledger_accounts DROP COLUMN spend_limit_daily, DROP COLUMN spend_limit_monthly;
DROP TABLE spend_limits;
`);
  }
}
