import type { MigrationInterface, QueryRunner } from "typeorm";
import { applyRetiredSqlFiles, applySqlFiles } from "../../db/sql-files";

/**
 * The whole schema as of 1.0: users and API keys, the double-entry two-phase
 * ledger, jobs, files and batches, billing. It replaces the pre-1.0 chain
 * (Foundation … CompiledChecks, 1764000000000–1764000000800), which never
 * shipped; the why of each measured choice is kept in the comments below and
 * in the function files.
 *
 * The ledger's operations are PL/pgSQL functions, one file each in
 * src/ledger/sql/ (src/jobs/sql/ for the jobs table's CHECK rule), applied
 * from those files (src/db/sql-files.ts): this migration names no function
 * body. Each operation is a single round trip and a single atomic statement,
 * so a hot account's row lock is held only for the statement plus the commit.
 *
 * A database built by the old chain already has all of this: for it the
 * baseline only re-applies the function files (CREATE OR REPLACE), which is
 * what those databases already run.
 */
export class Baseline1765000000000 implements MigrationInterface {
  name = "Baseline1765000000000";

  async up(q: QueryRunner): Promise<void> {
    if (await builtByOldChain(q)) {
      await applyRetiredSqlFiles(q, CHECK_RULES);
      await applySqlFiles(q, [...CHECK_FUNCTIONS, ...LEDGER_FUNCTIONS]);
      return;
    }
    await q.query(DOMAINS);
    await applyRetiredSqlFiles(q, CHECK_RULES);
    await applySqlFiles(q, CHECK_FUNCTIONS);
    await q.query(USERS_LEDGER_JOBS);
    await q.query(FILES_BATCHES);
    await q.query(BILLING);
    await applySqlFiles(q, LEDGER_FUNCTIONS);
  }

  async down(): Promise<void> {
    throw new Error("the baseline cannot be reverted: it would drop every table; drop the database instead");
  }
}

/** The last migration of the pre-1.0 chain; a database that ran it has today's schema. */
const OLD_CHAIN_LAST = "CompiledChecks1764000000800";

/**
 * True for a database the pre-1.0 chain built (its migrations table lists
 * those names; ledger_accounts exists). One it left half-built is refused
 * rather than guessed at.
 */
async function builtByOldChain(q: QueryRunner): Promise<boolean> {
  const [{ exists }]: { exists: boolean }[] = await q.query(`SELECT to_regclass('public.ledger_accounts') IS NOT NULL AS exists`);
  if (!exists) return false;
  const done: unknown[] = await q.query(`SELECT 1 FROM typeorm_migrations WHERE name = $1`, [OLD_CHAIN_LAST]);
  if (done.length === 0) {
    throw new Error(
      `this database has a ledger but never ran ${OLD_CHAIN_LAST}, the last pre-1.0 migration: ` +
        "migrate it with a Holdfast from before the baseline first, or start from an empty database",
    );
  }
  return true;
}

/**
 * The hot tables' CHECK rules as the baseline wrote them, taking columns: created
 * before the tables. Migration WholeRowChecks gave them the row instead, so these
 * bodies are retired files (src/db/retired-sql), kept for this migration only.
 */
const CHECK_RULES = ["ledger_accounts_valid", "ledger_transfers_valid", "ledger_pending_valid", "ledger_lots_valid", "jobs_valid"];

/** The owner trigger's function: created before the tables. */
const CHECK_FUNCTIONS = ["ledger_accounts_owner_check"];

/** The ledger's operations, after the tables (ledger_same_hold takes a ledger_transfers row). */
const LEDGER_FUNCTIONS = [
  "ledger_derived_id",
  "ledger_shard",
  "ledger_system_account",
  "ledger_user_account",
  "ledger_burn_lots",
  "ledger_same_hold",
  "ledger_hold",
  "ledger_hold_many",
  "ledger_hold_each_many",
  "ledger_hold_each",
  "ledger_settle_refusal",
  "ledger_settle",
  "ledger_settle_many",
  "ledger_grant",
  "ledger_debit",
  "ledger_expire_lot",
];

/**
 * Value rules on columns that never change after a row is written (kind,
 * code, shard, credit type, statuses) are domains: a domain is checked only
 * when a value is written, and compiled once per connection, while a table's
 * CHECK constraints are all re-read and compiled on every statement that
 * writes the table (about a fifth of the server's CPU on the ledger's
 * balance UPDATEs, measured by npm run bench:ledger). 64 system stripes: see
 * ledger_shard.
 */
const DOMAINS = String.raw`
CREATE DOMAIN ledger_account_kind AS text CHECK (VALUE IN ('user', 'system'));
CREATE DOMAIN ledger_system_code AS text CHECK (VALUE IN ('issuance', 'consumption', 'expiry', 'adjustment'));
CREATE DOMAIN ledger_credit_type AS text CHECK (VALUE ~ '^[a-z][a-z0-9_]{0,31}$');
CREATE DOMAIN ledger_shard_number AS smallint CHECK (VALUE >= 0 AND VALUE < 64);
CREATE DOMAIN ledger_transfer_kind AS text CHECK (VALUE IN ('plain', 'pending', 'post', 'void'));
CREATE DOMAIN ledger_transfer_type AS text
  CHECK (VALUE IN ('grant', 'purchase', 'subscription', 'hold', 'charge', 'release', 'refund', 'expire', 'adjustment'));
-- Named as the old chain named it (its first name was taken by a table constraint then).
CREATE DOMAIN ledger_pending_state AS text
  CONSTRAINT ledger_pending_state_check1 CHECK (VALUE IN ('pending', 'posted', 'voided', 'expired'));
CREATE DOMAIN ledger_amount AS bigint CHECK (VALUE > 0);
CREATE DOMAIN ledger_lot_category AS text CHECK (VALUE IN ('subscription', 'purchase', 'promotional', 'admin'));
CREATE DOMAIN job_status AS text CHECK (VALUE IN ('queued', 'running', 'succeeded', 'failed', 'canceled'));
CREATE DOMAIN job_error_type AS text CHECK (VALUE IN ('user', 'system'));
`;

/**
 * Account rows: every posting moves one debit and one credit column, so the
 * sum of (credits − debits) over all accounts is zero, posted and pending
 * separately. User accounts may never go below zero available — enforced by a
 * CHECK constraint, so even SQL that bypasses the ledger's functions cannot
 * overdraw. The remaining per-row rules of each hot table are one CHECK
 * calling an IMMUTABLE function (see src/ledger/sql/ledger_accounts_valid.sql
 * for why); who owns an account, which never changes, is checked by a
 * trigger when those columns are written.
 *
 * System accounts (issuance, consumption, expiry, adjustment) are striped
 * into 64 shards per credit type, so settling jobs for different users does
 * not serialise on one system row.
 */
const USERS_LEDGER_JOBS = String.raw`
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  name text,
  role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  credit_status text NOT NULL DEFAULT 'active' CHECK (credit_status IN ('active', 'paused')),
  low_credit_threshold bigint CHECK (low_credit_threshold >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_status_idx ON users (credit_status, created_at, id);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

CREATE TABLE ledger_accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind ledger_account_kind NOT NULL,
  user_id uuid REFERENCES users (id),
  system_code ledger_system_code,
  shard ledger_shard_number NOT NULL DEFAULT 0,
  credit_type ledger_credit_type NOT NULL,
  credits_posted bigint NOT NULL DEFAULT 0,
  debits_posted bigint NOT NULL DEFAULT 0,
  credits_pending bigint NOT NULL DEFAULT 0,
  debits_pending bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- The one rule every balance update is checked against.
  CONSTRAINT ledger_accounts_not_negative
    CHECK (ledger_accounts_valid(kind, credits_posted, debits_posted, credits_pending, debits_pending))
) WITH (fillfactor = 70);
CREATE UNIQUE INDEX ledger_accounts_user_key ON ledger_accounts (user_id, credit_type) WHERE kind = 'user';
CREATE UNIQUE INDEX ledger_accounts_system_key ON ledger_accounts (system_code, credit_type, shard) WHERE kind = 'system';
-- Who owns an account never changes after it is created, so the rule is
-- checked when a row is written with those columns, not on every balance update.
CREATE TRIGGER ledger_accounts_owner AFTER INSERT OR UPDATE OF kind, user_id, system_code ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_accounts_owner_check();

-- Immutable. id is chosen by the caller: a retry with the same id is a no-op.
--
-- No foreign keys on the hot ledger tables (transfers, pending, lot
-- consumptions): they are written only by the ledger's functions, each of
-- which has just read — and locked — every row it references, so the
-- references hold by construction; each foreign-key check would cost a query
-- per row on the hot path (8 per hold + post). checkLedger verifies them instead.
CREATE TABLE ledger_transfers (
  id uuid PRIMARY KEY,
  kind ledger_transfer_kind NOT NULL,
  type ledger_transfer_type NOT NULL,
  debit_account_id uuid NOT NULL,
  credit_account_id uuid NOT NULL,
  amount ledger_amount NOT NULL,
  credit_type text NOT NULL,
  pending_id uuid,
  user_id uuid,
  job_id uuid,
  description text,
  metadata jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_transfers_shape CHECK (ledger_transfers_valid(kind, debit_account_id, credit_account_id, pending_id))
);
-- A pending transfer is resolved by at most one post and at most one void
-- (the void of a partial post is the released remainder).
CREATE UNIQUE INDEX ledger_transfers_resolution_key ON ledger_transfers (pending_id, kind) WHERE pending_id IS NOT NULL;
CREATE INDEX ledger_transfers_user_idx ON ledger_transfers (user_id, created_at DESC, id DESC);
CREATE INDEX ledger_transfers_job_idx ON ledger_transfers (job_id) WHERE job_id IS NOT NULL;

-- Mutable state of each pending transfer (the transfer row itself never changes).
CREATE TABLE ledger_pending (
  transfer_id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  amount bigint NOT NULL,
  state ledger_pending_state NOT NULL DEFAULT 'pending',
  posted_amount bigint NOT NULL DEFAULT 0,
  expires_at timestamptz,
  resolved_by uuid,
  resolved_at timestamptz,
  CONSTRAINT ledger_pending_consistent CHECK (ledger_pending_valid(state, amount, posted_amount, resolved_at))
);
CREATE INDEX ledger_pending_expiry_idx ON ledger_pending (expires_at) WHERE state = 'pending';

-- Every credit into a user account is a lot; every debit burns lots.
CREATE TABLE ledger_lots (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id uuid NOT NULL REFERENCES ledger_accounts (id),
  grant_transfer_id uuid NOT NULL UNIQUE REFERENCES ledger_transfers (id),
  category ledger_lot_category NOT NULL,
  priority integer NOT NULL,
  amount ledger_amount NOT NULL,
  remaining bigint NOT NULL,
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_lots_check CHECK (ledger_lots_valid(amount, remaining))
) WITH (fillfactor = 70);
-- No index mentions remaining, so burning a lot is a HOT update (no index writes).
CREATE INDEX ledger_lots_account_idx ON ledger_lots (account_id);
CREATE INDEX ledger_lots_expiry_idx ON ledger_lots (expires_at) WHERE expires_at IS NOT NULL;

-- No index on lot_id: it would be written on every capture and read by no
-- query (checkLedger scans the whole table).
CREATE TABLE ledger_lot_consumptions (
  transfer_id uuid NOT NULL,
  lot_id uuid NOT NULL,
  amount ledger_amount NOT NULL,
  PRIMARY KEY (transfer_id, lot_id)
);

CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  batch_id uuid,
  kind text NOT NULL,
  status job_status NOT NULL DEFAULT 'queued',
  progress smallint NOT NULL DEFAULT 0,
  input jsonb NOT NULL,
  credit_type text NOT NULL,
  credits_estimated bigint NOT NULL,
  -- Deferred: the job row is written before its hold, so the hot account's
  -- row lock (taken by the hold) is held as briefly as possible.
  hold_transfer_id uuid UNIQUE REFERENCES ledger_transfers (id) DEFERRABLE INITIALLY DEFERRED,
  credits_charged bigint NOT NULL DEFAULT 0,
  credits_refunded bigint NOT NULL DEFAULT 0,
  result jsonb,
  error_type job_error_type,
  error_message text,
  attempt integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 3,
  timeout_ms integer,
  enqueued_at timestamptz,
  cancel_requested_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT jobs_consistent CHECK (jobs_valid(status, finished_at, attempt, max_attempts, progress,
                                               credits_estimated, credits_charged, credits_refunded))
);
CREATE INDEX jobs_user_idx ON jobs (user_id, created_at DESC, id DESC);
CREATE INDEX jobs_live_idx ON jobs (status, created_at) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_batch_idx ON jobs (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX jobs_kind_idx ON jobs (user_id, kind, created_at DESC);

-- Idempotency-Key: written in the same transaction as what it protects, so a
-- concurrent duplicate waits on the primary key and then replays.
CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL REFERENCES users (id),
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  scope text NOT NULL,
  request_hash text NOT NULL,
  resource_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
`;

/**
 * files: the bytes live in blob storage under storage_key; the row is written
 * only after the blob is complete (a failed or too-large upload leaves
 * neither). A file a job produced names its job, and its id derives from the
 * job id, so a retried job overwrites rather than duplicates.
 *
 * batches: one hold check for many jobs; job_ids keeps the submitted order.
 */
const FILES_BATCHES = String.raw`
CREATE TABLE files (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  content_type text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  storage_key text NOT NULL UNIQUE,
  source_job_id uuid REFERENCES jobs (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_user_idx ON files (user_id, created_at DESC, id DESC);
CREATE INDEX files_source_job_idx ON files (source_job_id) WHERE source_job_id IS NOT NULL;

CREATE TABLE batches (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  credit_type text NOT NULL,
  credits_estimated bigint NOT NULL CHECK (credits_estimated > 0),
  job_ids uuid[] NOT NULL CHECK (cardinality(job_ids) > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX batches_user_idx ON batches (user_id, created_at DESC, id DESC);

ALTER TABLE jobs ADD CONSTRAINT jobs_batch_fk FOREIGN KEY (batch_id) REFERENCES batches (id);
`;

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
const BILLING = String.raw`
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
`;
