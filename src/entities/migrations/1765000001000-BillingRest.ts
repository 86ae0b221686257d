import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Issue 14 §2 (the billing rest):
 * - promotions.uses counts the uses that count against max_redemptions
 *   (reserved + redeemed). Taken and given back by single conditional
 *   updates, and the limit is a CHECK, so nothing — not a late async payment
 *   after its reservation was swept — can push it past max_redemptions.
 * - promotion_redemptions.status 'over_limit': a payment that completed after
 *   its reservation was released, when the promotion (or the user's per-user
 *   limit) had no use left. The buyer keeps what they paid for; the use is
 *   recorded but not counted in promotions.uses.
 * - subscription_upgrades: a plan change seen in Stripe waits here until the
 *   invoice carrying its proration is paid; the grant's transfer id derives
 *   from that invoice id (one invoice pays one upgrade, once).
 */
export class BillingRest1765000001000 implements MigrationInterface {
  name = "BillingRest1765000001000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
ALTER TABLE promotions ADD COLUMN uses integer NOT NULL DEFAULT 0 CONSTRAINT promotions_uses_not_negative CHECK (uses >= 0);
UPDATE promotions p SET uses = (SELECT count(*) FROM promotion_redemptions r WHERE r.promotion_id = p.id AND r.status IN ('reserved', 'redeemed'));
ALTER TABLE promotions ADD CONSTRAINT promotions_uses_within_max CHECK (max_redemptions IS NULL OR uses <= max_redemptions);

ALTER TABLE promotion_redemptions DROP CONSTRAINT promotion_redemptions_status_check;
ALTER TABLE promotion_redemptions ADD CONSTRAINT promotion_redemptions_status_check CHECK (status IN ('reserved', 'redeemed', 'released', 'over_limit'));

CREATE TABLE subscription_upgrades (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscription_id uuid NOT NULL REFERENCES subscriptions (id),
  from_package_id uuid NOT NULL REFERENCES packages (id),
  to_package_id uuid NOT NULL REFERENCES packages (id),
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  -- When the change was seen; the proration date of the paying invoice wins when it has one.
  changed_at timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'granted')),
  stripe_invoice_id text UNIQUE,
  transfer_id uuid UNIQUE,
  credits bigint CHECK (credits >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'granted') = (stripe_invoice_id IS NOT NULL AND credits IS NOT NULL)),
  CHECK (period_end > period_start)
);
CREATE INDEX subscription_upgrades_pending_idx ON subscription_upgrades (subscription_id, changed_at DESC) WHERE status = 'pending';
`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
DROP TABLE subscription_upgrades;
UPDATE promotion_redemptions SET status = 'redeemed' WHERE status = 'over_limit';
ALTER TABLE promotion_redemptions DROP CONSTRAINT promotion_redemptions_status_check;
ALTER TABLE promotion_redemptions ADD CONSTRAINT promotion_redemptions_status_check CHECK (status IN ('reserved', 'redeemed', 'released'));
ALTER TABLE promotions DROP CONSTRAINT promotions_uses_within_max;
ALTER TABLE promotions DROP COLUMN uses;
`);
  }
}
