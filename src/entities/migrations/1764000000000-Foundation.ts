import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Users, API keys, the double-entry two-phase ledger and jobs.
 *
 * The ledger's operations are PL/pgSQL functions so each one is a single
 * round trip and a single atomic statement: the hot account's row lock is held
 * only for the statement plus the commit, which is what lets a hot account
 * approach the database's own single-row update rate (see bench-ledger).
 *
 * Account rows: every posting moves one debit and one credit column, so the
 * sum of (credits − debits) over all accounts is zero, posted and pending
 * separately. User accounts may never go below zero available — enforced by a
 * CHECK constraint, so even SQL that bypasses these functions cannot overdraw.
 *
 * System accounts (issuance, consumption, expiry, adjustment) are striped into
 * 16 shards per credit type, picked by a hash of the user account, so settling
 * jobs for different users does not serialise on one system row.
 */
export class Foundation1764000000000 implements MigrationInterface {
  name = "Foundation1764000000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
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
  kind text NOT NULL CHECK (kind IN ('user', 'system')),
  user_id uuid REFERENCES users (id),
  system_code text CHECK (system_code IN ('issuance', 'consumption', 'expiry', 'adjustment')),
  shard smallint NOT NULL DEFAULT 0 CHECK (shard >= 0 AND shard < 16),
  credit_type text NOT NULL CHECK (credit_type ~ '^[a-z][a-z0-9_]{0,31}$'),
  credits_posted bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  debits_posted bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_pending bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  debits_pending bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_accounts_owner CHECK ((kind = 'user') = (user_id IS NOT NULL) AND (kind = 'system') = (system_code IS NOT NULL)),
  CONSTRAINT ledger_accounts_user_not_negative CHECK (
    kind <> 'user' OR (credits_posted - debits_posted - debits_pending >= 0 AND credits_pending = 0)
  )
) WITH (fillfactor = 70);
CREATE UNIQUE INDEX ledger_accounts_user_key ON ledger_accounts (user_id, credit_type) WHERE kind = 'user';
CREATE UNIQUE INDEX ledger_accounts_system_key ON ledger_accounts (system_code, credit_type, shard) WHERE kind = 'system';

-- Immutable. id is chosen by the caller: a retry with the same id is a no-op.
--
-- No foreign keys on the hot ledger tables (transfers, pending, lot
-- consumptions): they are written only by the functions below, each of which
-- has just read — and locked — every row it references, so the references
-- hold by construction; each foreign-key check would cost a query per row on
-- the hot path (8 per hold + post). checkLedger verifies them instead.
CREATE TABLE ledger_transfers (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('plain', 'pending', 'post', 'void')),
  type text NOT NULL CHECK (type IN ('grant', 'purchase', 'subscription', 'hold', 'charge', 'release', 'refund', 'expire', 'adjustment')),
  debit_account_id uuid NOT NULL,
  credit_account_id uuid NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  credit_type text NOT NULL,
  pending_id uuid,
  user_id uuid,
  job_id uuid,
  description text,
  metadata jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (debit_account_id <> credit_account_id),
  CHECK ((kind IN ('post', 'void')) = (pending_id IS NOT NULL))
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
  amount bigint NOT NULL CHECK (amount > 0),
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'posted', 'voided', 'expired')),
  posted_amount bigint NOT NULL DEFAULT 0 CHECK (posted_amount >= 0 AND posted_amount <= amount),
  expires_at timestamptz,
  resolved_by uuid,
  resolved_at timestamptz,
  CHECK ((state = 'pending') = (resolved_at IS NULL)),
  CHECK (state = 'posted' OR posted_amount = 0)
);
CREATE INDEX ledger_pending_expiry_idx ON ledger_pending (expires_at) WHERE state = 'pending';

-- Every credit into a user account is a lot; every debit burns lots.
CREATE TABLE ledger_lots (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id uuid NOT NULL REFERENCES ledger_accounts (id),
  grant_transfer_id uuid NOT NULL UNIQUE REFERENCES ledger_transfers (id),
  category text NOT NULL CHECK (category IN ('subscription', 'purchase', 'promotional', 'admin')),
  priority integer NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 70);
-- No index mentions \`remaining\`, so burning a lot is a HOT update (no index writes).
CREATE INDEX ledger_lots_account_idx ON ledger_lots (account_id);
CREATE INDEX ledger_lots_expiry_idx ON ledger_lots (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE ledger_lot_consumptions (
  transfer_id uuid NOT NULL,
  lot_id uuid NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  PRIMARY KEY (transfer_id, lot_id)
);
CREATE INDEX ledger_lot_consumptions_lot_idx ON ledger_lot_consumptions (lot_id);

CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  batch_id uuid,
  kind text NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
  progress smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  input jsonb NOT NULL,
  credit_type text NOT NULL,
  credits_estimated bigint NOT NULL CHECK (credits_estimated > 0),
  -- Deferred: the job row is written before its hold, so the hot account's
  -- row lock (taken by the hold) is held as briefly as possible.
  hold_transfer_id uuid UNIQUE REFERENCES ledger_transfers (id) DEFERRABLE INITIALLY DEFERRED,
  credits_charged bigint NOT NULL DEFAULT 0 CHECK (credits_charged >= 0),
  credits_refunded bigint NOT NULL DEFAULT 0 CHECK (credits_refunded >= 0),
  result jsonb,
  error_type text CHECK (error_type IN ('user', 'system')),
  error_message text,
  attempt integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
  max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
  timeout_ms integer,
  enqueued_at timestamptz,
  cancel_requested_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (credits_charged + credits_refunded <= credits_estimated),
  CHECK ((status IN ('succeeded', 'failed', 'canceled')) = (finished_at IS NOT NULL))
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
`);
    await q.query(LEDGER_FUNCTIONS);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
DROP TABLE IF EXISTS idempotency_keys, jobs, ledger_lot_consumptions, ledger_lots, ledger_pending, ledger_transfers, ledger_accounts, api_keys, users CASCADE;
DROP FUNCTION IF EXISTS ledger_derived_id, ledger_system_account, ledger_user_account, ledger_shard, ledger_burn_lots, ledger_same_hold,
  ledger_hold, ledger_hold_many, ledger_settle, ledger_grant, ledger_debit, ledger_expire_lot CASCADE;
`);
  }
}

/** The ledger's functions as this migration created them (a later migration's down() restores them). */
export const LEDGER_FUNCTIONS = String.raw`
-- A deterministic id for a transfer derived from another (the released
-- remainder of a post, the n-th expiry of a lot): retries produce the same id.
CREATE FUNCTION ledger_derived_id(p_base uuid, p_suffix text) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$ SELECT md5(p_base::text || ':' || p_suffix)::uuid $$;

-- The system-account stripe a transfer uses: by backend, so concurrent
-- connections spread over the 16 stripes whatever users they serve. Any
-- stripe is correct; resolutions use the stripe their pending transfer named.
CREATE FUNCTION ledger_shard() RETURNS integer
LANGUAGE sql VOLATILE AS $$ SELECT pg_backend_pid() & 15 $$;

CREATE FUNCTION ledger_system_account(p_code text, p_credit_type text, p_shard integer) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE v uuid;
BEGIN
  SELECT id INTO v FROM ledger_accounts
   WHERE kind = 'system' AND system_code = p_code AND credit_type = p_credit_type AND shard = p_shard;
  IF v IS NULL THEN
    INSERT INTO ledger_accounts (kind, system_code, credit_type, shard)
    VALUES ('system', p_code, p_credit_type, p_shard)
    ON CONFLICT (system_code, credit_type, shard) WHERE kind = 'system' DO NOTHING
    RETURNING id INTO v;
    IF v IS NULL THEN
      SELECT id INTO v FROM ledger_accounts
       WHERE kind = 'system' AND system_code = p_code AND credit_type = p_credit_type AND shard = p_shard;
    END IF;
  END IF;
  RETURN v;
END $$;

CREATE FUNCTION ledger_user_account(p_user uuid, p_credit_type text) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE v uuid;
BEGIN
  SELECT id INTO v FROM ledger_accounts WHERE kind = 'user' AND user_id = p_user AND credit_type = p_credit_type;
  IF v IS NULL THEN
    INSERT INTO ledger_accounts (kind, user_id, credit_type) VALUES ('user', p_user, p_credit_type)
    ON CONFLICT (user_id, credit_type) WHERE kind = 'user' DO NOTHING
    RETURNING id INTO v;
    IF v IS NULL THEN
      SELECT id INTO v FROM ledger_accounts WHERE kind = 'user' AND user_id = p_user AND credit_type = p_credit_type;
    END IF;
  END IF;
  RETURN v;
END $$;

-- Burn p_amount from the account's lots: expired remainders first (they only
-- survive expiry because a hold needed them), then by priority, earliest
-- expiry, oldest. The caller already debited the account, so the lots' sum
-- always covers it; running short means the books are corrupt, so fail loudly.
CREATE FUNCTION ledger_burn_lots(p_transfer uuid, p_account uuid, p_amount bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_left bigint := p_amount;
  v_lot record;
  v_take bigint;
BEGIN
  FOR v_lot IN
    SELECT id, remaining FROM ledger_lots
     WHERE account_id = p_account AND remaining > 0
     ORDER BY (expires_at IS NOT NULL AND expires_at <= now()) DESC, priority, expires_at NULLS LAST, created_at, id
     FOR UPDATE
  LOOP
    EXIT WHEN v_left = 0;
    v_take := LEAST(v_left, v_lot.remaining);
    UPDATE ledger_lots SET remaining = remaining - v_take WHERE id = v_lot.id;
    INSERT INTO ledger_lot_consumptions (transfer_id, lot_id, amount) VALUES (p_transfer, v_lot.id, v_take);
    v_left := v_left - v_take;
  END LOOP;
  IF v_left > 0 THEN
    RAISE EXCEPTION 'ledger corrupt: lots of account % are % short of a debit', p_account, v_left USING ERRCODE = 'XX000';
  END IF;
END $$;

-- Two-phase step 1: reserve p_amount. One conditional UPDATE decides
-- admission; status 'insufficient' carries what is available.
-- The transfer row is inserted first (ON CONFLICT DO NOTHING) so a concurrent
-- call with the same id waits on the unique key and then sees 'exists'.
CREATE FUNCTION ledger_hold(p_id uuid, p_account uuid, p_amount bigint, p_expires_at timestamptz,
                            p_job_id uuid, p_description text)
RETURNS TABLE (status text, available bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_acc ledger_accounts%ROWTYPE;
  v_sys uuid;
  v_old ledger_transfers%ROWTYPE;
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 THEN
    RAISE EXCEPTION 'hold amount must be a positive integer, got %', p_amount USING ERRCODE = '22023';
  END IF;
  -- One statement reads the account, decides admission and takes the row
  -- lock, first: the rows inserted below reference only rows this
  -- transaction already holds, so a hot account never piles up shared locks.
  -- A replay (same id) is detected by the insert's conflict and undone.
  UPDATE ledger_accounts SET debits_pending = debits_pending + p_amount
   WHERE id = p_account AND kind = 'user' AND credits_posted - debits_posted - debits_pending >= p_amount
  RETURNING * INTO v_acc;
  IF NOT FOUND THEN
    -- Refused, unless a twin with the same id already took the credits.
    SELECT * INTO v_old FROM ledger_transfers WHERE id = p_id;
    IF FOUND THEN RETURN QUERY SELECT ledger_same_hold(v_old, p_account, p_amount), NULL::bigint; RETURN; END IF;
    SELECT * INTO v_acc FROM ledger_accounts WHERE id = p_account AND kind = 'user';
    IF NOT FOUND THEN RETURN QUERY SELECT 'account_not_found'::text, 0::bigint; RETURN; END IF;
    RETURN QUERY SELECT 'insufficient'::text, v_acc.credits_posted - v_acc.debits_posted - v_acc.debits_pending;
    RETURN;
  END IF;
  v_sys := ledger_system_account('consumption', v_acc.credit_type, ledger_shard());
  UPDATE ledger_accounts SET credits_pending = credits_pending + p_amount WHERE id = v_sys;

  INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, user_id, job_id, description)
  VALUES (p_id, 'pending', 'hold', p_account, v_sys, p_amount, v_acc.credit_type, v_acc.user_id, p_job_id, p_description)
  ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    -- The id exists (a replay, or a conflicting reuse): undo our admission.
    UPDATE ledger_accounts SET debits_pending = debits_pending - p_amount WHERE id = p_account;
    UPDATE ledger_accounts SET credits_pending = credits_pending - p_amount WHERE id = v_sys;
    SELECT * INTO v_old FROM ledger_transfers WHERE id = p_id;
    RETURN QUERY SELECT ledger_same_hold(v_old, p_account, p_amount), NULL::bigint;
    RETURN;
  END IF;
  INSERT INTO ledger_pending (transfer_id, account_id, amount, expires_at) VALUES (p_id, p_account, p_amount, p_expires_at);
  RETURN QUERY SELECT 'created'::text, NULL::bigint;
END $$;

CREATE FUNCTION ledger_same_hold(p_old ledger_transfers, p_account uuid, p_amount bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_old.kind = 'pending' AND p_old.debit_account_id = p_account AND p_old.amount = p_amount
              THEN 'exists' ELSE 'conflict' END
$$;

-- Several holds on one account admitted by one check of their total (a batch:
-- all or nothing). Each hold is its own pending transfer, settled on its own.
CREATE FUNCTION ledger_hold_many(p_ids uuid[], p_account uuid, p_amounts bigint[], p_expires_at timestamptz,
                                 p_job_ids uuid[], p_description text)
RETURNS TABLE (status text, available bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_acc ledger_accounts%ROWTYPE;
  v_sys uuid;
  v_total bigint;
  v_n integer := cardinality(p_ids);
  v_inserted integer;
BEGIN
  IF v_n IS NULL OR v_n = 0 OR v_n <> cardinality(p_amounts) OR v_n <> cardinality(p_job_ids) THEN
    RAISE EXCEPTION 'hold_many needs equally long, non-empty id, amount and job arrays' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(p_amounts) a WHERE a IS NULL OR a <= 0) THEN
    RAISE EXCEPTION 'hold amounts must be positive integers' USING ERRCODE = '22023';
  END IF;
  SELECT sum(a) INTO v_total FROM unnest(p_amounts) a;
  SELECT * INTO v_acc FROM ledger_accounts WHERE id = p_account AND kind = 'user';
  IF NOT FOUND THEN RETURN QUERY SELECT 'account_not_found'::text, 0::bigint; RETURN; END IF;
  v_sys := ledger_system_account('consumption', v_acc.credit_type, ledger_shard());

  INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, user_id, job_id, description)
  SELECT t.id, 'pending', 'hold', p_account, v_sys, t.amount, v_acc.credit_type, v_acc.user_id, t.job_id, p_description
    FROM unnest(p_ids, p_amounts, p_job_ids) AS t (id, amount, job_id)
  ON CONFLICT (id) DO NOTHING;
  GET DIAGNOSTICS v_inserted = ROW_COUNT;
  IF v_inserted = 0 THEN
    -- A replay only if every id is already the same hold on this account.
    IF (SELECT count(*) FROM ledger_transfers t JOIN unnest(p_ids, p_amounts) AS u (id, amount) ON t.id = u.id
         WHERE t.kind = 'pending' AND t.debit_account_id = p_account AND t.amount = u.amount) = v_n THEN
      RETURN QUERY SELECT 'exists'::text, NULL::bigint;
    ELSE
      RETURN QUERY SELECT 'conflict'::text, NULL::bigint;
    END IF;
    RETURN;
  END IF;
  IF v_inserted <> v_n THEN
    -- Some ids exist, some don't: never a replay. Undo our inserts.
    DELETE FROM ledger_transfers WHERE id = ANY (p_ids) AND kind = 'pending' AND NOT EXISTS (SELECT 1 FROM ledger_pending p WHERE p.transfer_id = ledger_transfers.id);
    RETURN QUERY SELECT 'conflict'::text, NULL::bigint;
    RETURN;
  END IF;

  UPDATE ledger_accounts SET debits_pending = debits_pending + v_total
   WHERE id = p_account AND credits_posted - debits_posted - debits_pending >= v_total;
  IF NOT FOUND THEN
    DELETE FROM ledger_transfers WHERE id = ANY (p_ids);
    RETURN QUERY SELECT 'insufficient'::text,
      (SELECT a.credits_posted - a.debits_posted - a.debits_pending FROM ledger_accounts a WHERE a.id = p_account);
    RETURN;
  END IF;
  UPDATE ledger_accounts SET credits_pending = credits_pending + v_total WHERE id = v_sys;
  INSERT INTO ledger_pending (transfer_id, account_id, amount, expires_at)
  SELECT t.id, p_account, t.amount, p_expires_at FROM unnest(p_ids, p_amounts) AS t (id, amount);
  RETURN QUERY SELECT 'created'::text, NULL::bigint;
END $$;

-- Two-phase step 2: resolve a pending transfer exactly once. p_amount > 0
-- posts (captures) that much and releases the rest; p_amount = 0 voids it
-- (p_void_state 'voided', or 'expired' for the reaper). The conditional
-- UPDATE on the pending row's state is what decides races between post,
-- void and expire: exactly one of them finds it 'pending'.
CREATE FUNCTION ledger_settle(p_id uuid, p_pending uuid, p_amount bigint, p_release_type text,
                              p_void_state text, p_description text)
RETURNS TABLE (status text, posted bigint, released bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_p ledger_pending%ROWTYPE;
  v_t ledger_transfers%ROWTYPE;
  v_release bigint;
BEGIN
  IF p_amount IS NULL OR p_amount < 0 THEN
    RAISE EXCEPTION 'post amount must be a non-negative integer, got %', p_amount USING ERRCODE = '22023';
  END IF;
  IF p_release_type NOT IN ('release', 'refund') OR p_void_state NOT IN ('voided', 'expired') THEN
    RAISE EXCEPTION 'bad release type % or void state %', p_release_type, p_void_state USING ERRCODE = '22023';
  END IF;
  -- An id already used for anything but resolving this very hold is a conflict, not a replay.
  IF EXISTS (SELECT 1 FROM ledger_transfers WHERE id = p_id AND pending_id IS DISTINCT FROM p_pending) THEN
    RETURN QUERY SELECT 'conflict'::text, 0::bigint, 0::bigint; RETURN;
  END IF;

  UPDATE ledger_pending
     SET state = CASE WHEN p_amount > 0 THEN 'posted' ELSE p_void_state END,
         posted_amount = p_amount, resolved_by = p_id, resolved_at = now()
   WHERE transfer_id = p_pending AND state = 'pending' AND amount >= p_amount
  RETURNING * INTO v_p;
  IF NOT FOUND THEN
    SELECT * INTO v_p FROM ledger_pending WHERE transfer_id = p_pending;
    IF NOT FOUND THEN RETURN QUERY SELECT 'not_found'::text, 0::bigint, 0::bigint; RETURN; END IF;
    IF v_p.state = 'pending' THEN RETURN QUERY SELECT 'exceeds_hold'::text, 0::bigint, v_p.amount; RETURN; END IF;
    IF v_p.resolved_by = p_id THEN
      -- A replay must ask for the same resolution it got.
      IF v_p.posted_amount = p_amount AND (p_amount > 0 OR v_p.state = p_void_state) THEN
        RETURN QUERY SELECT 'exists'::text, v_p.posted_amount, v_p.amount - v_p.posted_amount;
      ELSE
        RETURN QUERY SELECT 'conflict'::text, v_p.posted_amount, v_p.amount - v_p.posted_amount;
      END IF;
      RETURN;
    END IF;
    RETURN QUERY SELECT ('already_' || v_p.state)::text, v_p.posted_amount, v_p.amount - v_p.posted_amount; RETURN;
  END IF;

  SELECT * INTO v_t FROM ledger_transfers WHERE id = p_pending;
  v_release := v_p.amount - p_amount;
  UPDATE ledger_accounts SET debits_pending = debits_pending - v_p.amount, debits_posted = debits_posted + p_amount
   WHERE id = v_t.debit_account_id;
  UPDATE ledger_accounts SET credits_pending = credits_pending - v_p.amount, credits_posted = credits_posted + p_amount
   WHERE id = v_t.credit_account_id;
  IF p_amount > 0 THEN
    INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, pending_id, user_id, job_id, description)
    VALUES (p_id, 'post', 'charge', v_t.debit_account_id, v_t.credit_account_id, p_amount, v_t.credit_type, p_pending, v_t.user_id, v_t.job_id, p_description);
    PERFORM ledger_burn_lots(p_id, v_t.debit_account_id, p_amount);
  END IF;
  IF v_release > 0 THEN
    INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, pending_id, user_id, job_id, description)
    VALUES (CASE WHEN p_amount > 0 THEN ledger_derived_id(p_id, 'release') ELSE p_id END,
            'void', p_release_type, v_t.debit_account_id, v_t.credit_account_id, v_release, v_t.credit_type, p_pending, v_t.user_id, v_t.job_id, p_description);
  END IF;
  RETURN QUERY SELECT 'created'::text, p_amount, v_release;
END $$;

-- A plain credit into a user account (grant, purchase, subscription,
-- adjustment) from a system account; it creates the lot.
CREATE FUNCTION ledger_grant(p_id uuid, p_account uuid, p_amount bigint, p_type text, p_source text,
                             p_category text, p_priority integer, p_expires_at timestamptz,
                             p_description text, p_metadata jsonb)
RETURNS TABLE (status text, lot_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
  v_acc ledger_accounts%ROWTYPE;
  v_sys uuid;
  v_old ledger_transfers%ROWTYPE;
  v_lot uuid;
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 THEN
    RAISE EXCEPTION 'grant amount must be a positive integer, got %', p_amount USING ERRCODE = '22023';
  END IF;
  SELECT * INTO v_acc FROM ledger_accounts WHERE id = p_account AND kind = 'user';
  IF NOT FOUND THEN RETURN QUERY SELECT 'account_not_found'::text, NULL::uuid; RETURN; END IF;
  v_sys := ledger_system_account(p_source, v_acc.credit_type, ledger_shard());

  INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, user_id, description, metadata)
  VALUES (p_id, 'plain', p_type, v_sys, p_account, p_amount, v_acc.credit_type, v_acc.user_id, p_description, p_metadata)
  ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    SELECT * INTO v_old FROM ledger_transfers WHERE id = p_id;
    IF v_old.kind = 'plain' AND v_old.credit_account_id = p_account AND v_old.amount = p_amount THEN
      RETURN QUERY SELECT 'exists'::text, (SELECT l.id FROM ledger_lots l WHERE l.grant_transfer_id = p_id);
    ELSE
      RETURN QUERY SELECT 'conflict'::text, NULL::uuid;
    END IF;
    RETURN;
  END IF;
  UPDATE ledger_accounts SET credits_posted = credits_posted + p_amount WHERE id = p_account;
  UPDATE ledger_accounts SET debits_posted = debits_posted + p_amount WHERE id = v_sys;
  INSERT INTO ledger_lots (account_id, grant_transfer_id, category, priority, amount, remaining, expires_at)
  VALUES (p_account, p_id, p_category, p_priority, p_amount, p_amount, p_expires_at)
  RETURNING id INTO v_lot;
  RETURN QUERY SELECT 'created'::text, v_lot;
END $$;

-- A plain debit from a user account (admin removal) into a system account,
-- admitted by one conditional UPDATE on available credit; it burns lots.
CREATE FUNCTION ledger_debit(p_id uuid, p_account uuid, p_amount bigint, p_type text, p_sink text,
                             p_description text, p_metadata jsonb)
RETURNS TABLE (status text, available bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_acc ledger_accounts%ROWTYPE;
  v_sys uuid;
  v_old ledger_transfers%ROWTYPE;
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 THEN
    RAISE EXCEPTION 'debit amount must be a positive integer, got %', p_amount USING ERRCODE = '22023';
  END IF;
  SELECT * INTO v_acc FROM ledger_accounts WHERE id = p_account AND kind = 'user';
  IF NOT FOUND THEN RETURN QUERY SELECT 'account_not_found'::text, 0::bigint; RETURN; END IF;
  v_sys := ledger_system_account(p_sink, v_acc.credit_type, ledger_shard());

  INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, user_id, description, metadata)
  VALUES (p_id, 'plain', p_type, p_account, v_sys, p_amount, v_acc.credit_type, v_acc.user_id, p_description, p_metadata)
  ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    SELECT * INTO v_old FROM ledger_transfers WHERE id = p_id;
    IF v_old.kind = 'plain' AND v_old.debit_account_id = p_account AND v_old.amount = p_amount THEN
      RETURN QUERY SELECT 'exists'::text, NULL::bigint;
    ELSE
      RETURN QUERY SELECT 'conflict'::text, NULL::bigint;
    END IF;
    RETURN;
  END IF;
  UPDATE ledger_accounts SET debits_posted = debits_posted + p_amount
   WHERE id = p_account AND credits_posted - debits_posted - debits_pending >= p_amount;
  IF NOT FOUND THEN
    DELETE FROM ledger_transfers WHERE id = p_id;
    RETURN QUERY SELECT 'insufficient'::text,
      (SELECT a.credits_posted - a.debits_posted - a.debits_pending FROM ledger_accounts a WHERE a.id = p_account);
    RETURN;
  END IF;
  UPDATE ledger_accounts SET credits_posted = credits_posted + p_amount WHERE id = v_sys;
  PERFORM ledger_burn_lots(p_id, p_account, p_amount);
  RETURN QUERY SELECT 'created'::text, NULL::bigint;
END $$;

-- Expire one lot's unspent remainder as of p_now, but never what pending
-- holds need. Posts burn lots already past their expiry first, in the order
-- (priority, expires_at, created_at, id), so the account's holds are covered
-- by the due lots in that order: this lot keeps
--   clamp(held − remaining of the due lots that burn before it, 0, remaining)
-- and a later run expires that kept part once the holds are resolved. Safe to
-- run twice: the transfer id derives from the lot and how much of it is used.
CREATE FUNCTION ledger_expire_lot(p_lot uuid, p_now timestamptz)
RETURNS TABLE (status text, expired bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_account uuid;
  v_acc ledger_accounts%ROWTYPE;
  v_lot ledger_lots%ROWTYPE;
  v_amount bigint;
  v_before bigint;
  v_sys uuid;
  v_id uuid;
BEGIN
  SELECT account_id INTO v_account FROM ledger_lots WHERE id = p_lot;
  IF NOT FOUND THEN RETURN QUERY SELECT 'not_found'::text, 0::bigint; RETURN; END IF;
  -- Lock order everywhere is account, then lots: no deadlock with a post.
  SELECT * INTO v_acc FROM ledger_accounts WHERE id = v_account FOR UPDATE;
  SELECT * INTO v_lot FROM ledger_lots WHERE id = p_lot FOR UPDATE;
  IF v_lot.expires_at IS NULL OR v_lot.expires_at > p_now OR v_lot.remaining = 0 THEN
    RETURN QUERY SELECT 'not_due'::text, 0::bigint; RETURN;
  END IF;
  -- Other lots change only under the account's row lock, which we hold.
  SELECT coalesce(sum(l.remaining), 0) INTO v_before FROM ledger_lots l
   WHERE l.account_id = v_account AND l.remaining > 0 AND l.expires_at <= p_now AND l.id <> p_lot
     AND (l.priority, l.expires_at, l.created_at, l.id) < (v_lot.priority, v_lot.expires_at, v_lot.created_at, v_lot.id);
  v_amount := v_lot.remaining - GREATEST(0, LEAST(v_lot.remaining, v_acc.debits_pending - v_before));
  -- Never below zero available (follows from the above; the CHECK would refuse it anyway).
  v_amount := LEAST(v_amount, v_acc.credits_posted - v_acc.debits_posted - v_acc.debits_pending);
  IF v_amount <= 0 THEN RETURN QUERY SELECT 'held'::text, 0::bigint; RETURN; END IF;

  v_id := ledger_derived_id(p_lot, 'expire:' || (v_lot.amount - v_lot.remaining));
  v_sys := ledger_system_account('expiry', v_acc.credit_type, ledger_shard());
  INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, user_id, description, metadata)
  VALUES (v_id, 'plain', 'expire', v_account, v_sys, v_amount, v_acc.credit_type, v_acc.user_id,
          'Unused credits expired', jsonb_build_object('lot_id', p_lot))
  ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN RETURN QUERY SELECT 'exists'::text, 0::bigint; RETURN; END IF;
  UPDATE ledger_accounts SET debits_posted = debits_posted + v_amount WHERE id = v_account;
  UPDATE ledger_accounts SET credits_posted = credits_posted + v_amount WHERE id = v_sys;
  UPDATE ledger_lots SET remaining = remaining - v_amount WHERE id = p_lot;
  INSERT INTO ledger_lot_consumptions (transfer_id, lot_id, amount) VALUES (v_id, p_lot, v_amount);
  RETURN QUERY SELECT 'created'::text, v_amount;
END $$;
`;
