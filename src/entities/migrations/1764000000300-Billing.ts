import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Billing: plans (packages), promotions, Stripe checkouts, subscriptions and
 * the grants they made, received Stripe events, outgoing mail and low-credit
 * alert state.
 *
 * Where credits come in, a unique key decides "once": a subscription period
 * is granted once per (subscription, period start); a Stripe event is
 * processed once per event id; a mail is queued once per dedupe key. The
 * ledger transfer ids are derived from the same Stripe objects, so even a
 * path that skipped these tables could not grant twice.
 *
 * Money is integer cents; credits are bigint.
 */
export class Billing1764000000300 implements MigrationInterface {
  name = "Billing1764000000300";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE TABLE packages (
  id uuid PRIMARY KEY,
  code text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_-]{0,31}$'),
  name text NOT NULL,
  description text,
  price_cents integer NOT NULL CHECK (price_cents > 0),
  currency text NOT NULL DEFAULT 'usd',
  interval text NOT NULL DEFAULT 'month' CHECK (interval IN ('month')),
  credits bigint NOT NULL CHECK (credits > 0),
  credit_type text NOT NULL DEFAULT 'standard',
  features jsonb NOT NULL DEFAULT '[]',
  -- false: a period's credits expire at the period's end; true: they never expire.
  rollover boolean NOT NULL DEFAULT false,
  -- Discount on one-off credit purchases while subscribed to this plan.
  purchase_discount_percent integer NOT NULL DEFAULT 0 CHECK (purchase_discount_percent BETWEEN 0 AND 90),
  -- The recurring Stripe Price; created on first use when null (or set by the operator).
  stripe_price_id text UNIQUE,
  active boolean NOT NULL DEFAULT true,
  sort_order integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO packages (id, code, name, description, price_cents, credits, features, rollover, purchase_discount_percent, sort_order) VALUES
  ('5e1ec7ed-0000-4000-8000-000000000001', 'starter', 'Starter', 'For trying Holdfast on real work.', 1999, 200,
   '["200 credits every month", "Scripts, AI and file jobs", "Unused credits expire at the end of each month", "5% off extra credit purchases", "Email support"]',
   false, 5, 10),
  ('5e1ec7ed-0000-4000-8000-000000000002', 'professional', 'Professional', 'For teams running work every day.', 4999, 600,
   '["600 credits every month", "Scripts, AI and file jobs", "Unused credits expire at the end of each month", "10% off extra credit purchases", "Priority email support"]',
   false, 10, 20),
  ('5e1ec7ed-0000-4000-8000-000000000003', 'enterprise', 'Enterprise', 'For heavy use, with credits that never go to waste.', 9999, 1500,
   '["1,500 credits every month", "Scripts, AI and file jobs", "Unused credits roll over", "15% off extra credit purchases", "Invoiced billing on request", "Dedicated support"]',
   true, 15, 30);

CREATE TABLE promotions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{2,40}$'),
  description text,
  kind text NOT NULL CHECK (kind IN ('percent', 'fixed')),
  percent_off integer CHECK (percent_off BETWEEN 1 AND 100),
  amount_off_cents integer CHECK (amount_off_cents > 0),
  starts_at timestamptz,
  ends_at timestamptz,
  -- Usage limits count reservations (open checkouts) and redemptions alike.
  max_redemptions integer CHECK (max_redemptions > 0),
  max_redemptions_per_user integer CHECK (max_redemptions_per_user > 0),
  min_credits bigint CHECK (min_credits > 0),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'percent') = (percent_off IS NOT NULL) AND (kind = 'fixed') = (amount_off_cents IS NOT NULL)),
  CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at)
);
CREATE UNIQUE INDEX promotions_code_key ON promotions (upper(code));

-- A Stripe Checkout Session we created: a one-off credit purchase (mode
-- payment, with its price breakdown) or the start of a subscription.
CREATE TABLE checkouts (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  mode text NOT NULL CHECK (mode IN ('payment', 'subscription')),
  status text NOT NULL DEFAULT 'creating' CHECK (status IN ('creating', 'open', 'complete', 'expired')),
  credits bigint CHECK (credits > 0),
  credit_type text NOT NULL DEFAULT 'standard',
  base_cents integer CHECK (base_cents >= 0),
  bulk_discount_cents integer NOT NULL DEFAULT 0 CHECK (bulk_discount_cents >= 0),
  subscriber_discount_cents integer NOT NULL DEFAULT 0 CHECK (subscriber_discount_cents >= 0),
  promo_discount_cents integer NOT NULL DEFAULT 0 CHECK (promo_discount_cents >= 0),
  total_cents integer CHECK (total_cents > 0),
  currency text NOT NULL DEFAULT 'usd',
  promotion_id uuid REFERENCES promotions (id),
  package_id uuid REFERENCES packages (id),
  stripe_session_id text UNIQUE,
  checkout_url text,
  stripe_subscription_id text,
  grant_transfer_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (mode <> 'payment' OR (credits IS NOT NULL AND base_cents IS NOT NULL AND total_cents IS NOT NULL
         AND base_cents - bulk_discount_cents - subscriber_discount_cents - promo_discount_cents = total_cents)),
  CHECK (mode <> 'subscription' OR package_id IS NOT NULL),
  CHECK ((status = 'complete') = (completed_at IS NOT NULL))
);
CREATE INDEX checkouts_user_idx ON checkouts (user_id, created_at DESC, id DESC);
CREATE INDEX checkouts_stale_idx ON checkouts (created_at) WHERE status IN ('creating', 'open');

CREATE TABLE promotion_redemptions (
  checkout_id uuid PRIMARY KEY REFERENCES checkouts (id),
  promotion_id uuid NOT NULL REFERENCES promotions (id),
  user_id uuid NOT NULL REFERENCES users (id),
  status text NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'redeemed', 'released')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX promotion_redemptions_promo_idx ON promotion_redemptions (promotion_id, user_id) WHERE status <> 'released';

CREATE TABLE stripe_customers (
  user_id uuid PRIMARY KEY REFERENCES users (id),
  customer_id text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE subscriptions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id),
  package_id uuid NOT NULL REFERENCES packages (id),
  -- A downgrade waiting for the period's end.
  pending_package_id uuid REFERENCES packages (id),
  source text NOT NULL CHECK (source IN ('stripe', 'admin')),
  status text NOT NULL CHECK (status IN ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'unpaid', 'paused', 'canceled')),
  stripe_subscription_id text UNIQUE,
  stripe_customer_id text,
  current_period_start timestamptz NOT NULL,
  current_period_end timestamptz NOT NULL,
  -- Admin plans: period n runs from anchor + n months (calendar months, clamped to month ends).
  billing_anchor timestamptz NOT NULL,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  canceled_at timestamptz,
  ended_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (current_period_end > current_period_start),
  CHECK ((source = 'stripe') = (stripe_subscription_id IS NOT NULL))
);
-- No "one live subscription per user" constraint on purpose: if a user pays
-- for two Stripe subscriptions, both must be recorded and granted; the API
-- refuses to start a second one instead.
CREATE INDEX subscriptions_user_idx ON subscriptions (user_id, created_at DESC, id DESC);
CREATE INDEX subscriptions_period_end_idx ON subscriptions (current_period_end) WHERE status IN ('trialing', 'active', 'past_due');

-- Every grant a subscription made: one 'period' grant per period, plus the
-- prorated 'upgrade' grants within a period.
CREATE TABLE subscription_grants (
  transfer_id uuid PRIMARY KEY,
  subscription_id uuid NOT NULL REFERENCES subscriptions (id),
  kind text NOT NULL CHECK (kind IN ('period', 'upgrade')),
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  package_id uuid NOT NULL REFERENCES packages (id),
  credits bigint NOT NULL CHECK (credits > 0),
  stripe_invoice_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX subscription_grants_period_key ON subscription_grants (subscription_id, period_start) WHERE kind = 'period';
CREATE UNIQUE INDEX subscription_grants_upgrade_key ON subscription_grants (subscription_id, period_start, package_id) WHERE kind = 'upgrade';

-- Every verified Stripe event, stored before it is acknowledged; processed
-- (once) by the stripe-events worker. processed_at is set in the same
-- transaction as the event's effect.
CREATE TABLE stripe_events (
  id text PRIMARY KEY,
  type text NOT NULL,
  livemode boolean NOT NULL DEFAULT false,
  payload jsonb NOT NULL,
  stripe_created_at timestamptz,
  received_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  outcome text,
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX stripe_events_unprocessed_idx ON stripe_events (received_at) WHERE processed_at IS NULL;

CREATE TABLE notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid REFERENCES users (id),
  kind text NOT NULL,
  -- What makes "exactly one email" hold: a second queueing of the same fact is a no-op.
  dedupe_key text NOT NULL UNIQUE,
  to_address text NOT NULL,
  subject text NOT NULL,
  body_text text NOT NULL,
  body_html text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX notifications_pending_idx ON notifications (created_at) WHERE status = 'pending';
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);

-- Low-credit alerts: 'armed' flips to false in the one statement that
-- detects a crossing (so concurrent checks send one email), and back to true
-- only after a top-up (a lot newer than lot_watermark) lifts the balance
-- back to the threshold.
CREATE TABLE low_credit_state (
  account_id uuid PRIMARY KEY REFERENCES ledger_accounts (id),
  user_id uuid NOT NULL REFERENCES users (id),
  credit_type text NOT NULL,
  armed boolean NOT NULL,
  crossings integer NOT NULL DEFAULT 0,
  lot_watermark timestamptz,
  last_crossed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
DROP TABLE IF EXISTS low_credit_state, notifications, stripe_events, subscription_grants, subscriptions, stripe_customers,
  promotion_redemptions, checkouts, promotions, packages CASCADE;
`);
  }
}
