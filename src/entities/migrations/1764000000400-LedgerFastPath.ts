import type { MigrationInterface, QueryRunner } from "typeorm";
import { LEDGER_FUNCTIONS } from "./1764000000000-Foundation";

/**
 * The hot path, measured (npm run bench:ledger, perf on the server):
 *
 * - CHECK constraints are re-read from their stored text and compiled on
 *   every statement that writes the table, and every balance UPDATE checked
 *   all ten on ledger_accounts (a regex among them) though only the balance
 *   columns change: about a fifth of the server's CPU. Value checks on columns
 *   that never change (kind, code, shard, credit type, statuses) move to
 *   domains, which are checked only when a value is written and are compiled
 *   once per connection; the remaining checks are merged into one constraint
 *   per table, and who owns an account (which never changes) is checked by a
 *   trigger on insert. The rules are the same; a violation is still SQLSTATE 23514.
 * - System accounts were striped by pg_backend_pid() & 15, so two busy
 *   connections often shared a stripe and queued on its row lock (a tenth of
 *   the server's CPU went to lock waits with 16 clients on 16 accounts). Each
 *   connection now claims a stripe of its own (a session advisory lock, 64
 *   stripes) the first time it needs one; any stripe is still correct.
 * - ledger_lot_consumptions loses its index on lot_id: written on every
 *   capture, read by no query.
 * - ledger_hold and ledger_settle do their row writes before taking the user
 *   account's row lock, in fewer statements, so a hot account's lock is held
 *   for two single-row updates, the lot burn and the commit.
 */
export class LedgerFastPath1764000000400 implements MigrationInterface {
  name = "LedgerFastPath1764000000400";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE DOMAIN ledger_account_kind AS text CHECK (VALUE IN ('user', 'system'));
CREATE DOMAIN ledger_system_code AS text CHECK (VALUE IN ('issuance', 'consumption', 'expiry', 'adjustment'));
CREATE DOMAIN ledger_credit_type AS text CHECK (VALUE ~ '^[a-z][a-z0-9_]{0,31}$');
CREATE DOMAIN ledger_shard_number AS smallint CHECK (VALUE >= 0 AND VALUE < 64);
CREATE DOMAIN ledger_transfer_kind AS text CHECK (VALUE IN ('plain', 'pending', 'post', 'void'));
CREATE DOMAIN ledger_transfer_type AS text
  CHECK (VALUE IN ('grant', 'purchase', 'subscription', 'hold', 'charge', 'release', 'refund', 'expire', 'adjustment'));
CREATE DOMAIN ledger_pending_state AS text CHECK (VALUE IN ('pending', 'posted', 'voided', 'expired'));
CREATE DOMAIN ledger_amount AS bigint CHECK (VALUE > 0);
CREATE DOMAIN ledger_lot_category AS text CHECK (VALUE IN ('subscription', 'purchase', 'promotional', 'admin'));
CREATE DOMAIN job_status AS text CHECK (VALUE IN ('queued', 'running', 'succeeded', 'failed', 'canceled'));
CREATE DOMAIN job_error_type AS text CHECK (VALUE IN ('user', 'system'));

ALTER TABLE ledger_accounts
  DROP CONSTRAINT ledger_accounts_kind_check, DROP CONSTRAINT ledger_accounts_system_code_check,
  DROP CONSTRAINT ledger_accounts_credit_type_check, DROP CONSTRAINT ledger_accounts_shard_check,
  DROP CONSTRAINT ledger_accounts_credits_posted_check, DROP CONSTRAINT ledger_accounts_debits_posted_check,
  DROP CONSTRAINT ledger_accounts_credits_pending_check, DROP CONSTRAINT ledger_accounts_debits_pending_check,
  DROP CONSTRAINT ledger_accounts_user_not_negative, DROP CONSTRAINT ledger_accounts_owner,
  ALTER COLUMN kind TYPE ledger_account_kind, ALTER COLUMN system_code TYPE ledger_system_code,
  ALTER COLUMN credit_type TYPE ledger_credit_type, ALTER COLUMN shard TYPE ledger_shard_number,
  -- The one rule every balance update is checked against.
  ADD CONSTRAINT ledger_accounts_not_negative CHECK (
    credits_posted >= 0 AND debits_posted >= 0 AND credits_pending >= 0 AND debits_pending >= 0
    AND (kind <> 'user' OR (credits_posted - debits_posted - debits_pending >= 0 AND credits_pending = 0)));

-- Who owns an account never changes after it is created, so the rule is
-- checked when a row is written with those columns, not on every balance update.
CREATE FUNCTION ledger_accounts_owner_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT ((NEW.kind = 'user') = (NEW.user_id IS NOT NULL) AND (NEW.kind = 'system') = (NEW.system_code IS NOT NULL)) THEN
    RAISE EXCEPTION 'ledger account %: a user account has a user and no system code, a system account the reverse', NEW.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_accounts_owner AFTER INSERT OR UPDATE OF kind, user_id, system_code ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_accounts_owner_check();

ALTER TABLE ledger_transfers
  DROP CONSTRAINT ledger_transfers_kind_check, DROP CONSTRAINT ledger_transfers_type_check,
  DROP CONSTRAINT ledger_transfers_amount_check, DROP CONSTRAINT ledger_transfers_check, DROP CONSTRAINT ledger_transfers_check1,
  ALTER COLUMN kind TYPE ledger_transfer_kind, ALTER COLUMN type TYPE ledger_transfer_type, ALTER COLUMN amount TYPE ledger_amount,
  ADD CONSTRAINT ledger_transfers_shape CHECK (
    debit_account_id <> credit_account_id AND (kind IN ('post', 'void')) = (pending_id IS NOT NULL));

ALTER TABLE ledger_pending
  DROP CONSTRAINT ledger_pending_state_check, DROP CONSTRAINT ledger_pending_amount_check,
  DROP CONSTRAINT ledger_pending_check, DROP CONSTRAINT ledger_pending_check1, DROP CONSTRAINT ledger_pending_check2,
  ALTER COLUMN state TYPE ledger_pending_state,
  ADD CONSTRAINT ledger_pending_consistent CHECK (
    amount > 0 AND posted_amount >= 0 AND posted_amount <= amount
    AND (state = 'pending') = (resolved_at IS NULL) AND (state = 'posted' OR posted_amount = 0));

ALTER TABLE ledger_lots DROP CONSTRAINT ledger_lots_category_check, DROP CONSTRAINT ledger_lots_amount_check,
  ALTER COLUMN category TYPE ledger_lot_category, ALTER COLUMN amount TYPE ledger_amount;
ALTER TABLE ledger_lot_consumptions DROP CONSTRAINT ledger_lot_consumptions_amount_check, ALTER COLUMN amount TYPE ledger_amount;
-- Written on every capture, read by no query (checkLedger scans the whole table).
DROP INDEX ledger_lot_consumptions_lot_idx;

ALTER TABLE jobs
  DROP CONSTRAINT jobs_status_check, DROP CONSTRAINT jobs_error_type_check,
  DROP CONSTRAINT jobs_attempt_check, DROP CONSTRAINT jobs_max_attempts_check, DROP CONSTRAINT jobs_progress_check,
  DROP CONSTRAINT jobs_credits_estimated_check, DROP CONSTRAINT jobs_credits_charged_check,
  DROP CONSTRAINT jobs_credits_refunded_check, DROP CONSTRAINT jobs_check, DROP CONSTRAINT jobs_check1,
  ALTER COLUMN status TYPE job_status, ALTER COLUMN error_type TYPE job_error_type,
  ADD CONSTRAINT jobs_consistent CHECK (
    attempt >= 0 AND max_attempts >= 1 AND progress BETWEEN 0 AND 100
    AND credits_estimated > 0 AND credits_charged >= 0 AND credits_refunded >= 0
    AND credits_charged + credits_refunded <= credits_estimated
    AND (status IN ('succeeded', 'failed', 'canceled')) = (finished_at IS NOT NULL));
`);
    await q.query(FAST_FUNCTIONS);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
DROP FUNCTION ledger_derived_id, ledger_system_account, ledger_user_account, ledger_shard, ledger_burn_lots, ledger_same_hold,
  ledger_hold, ledger_hold_many, ledger_settle, ledger_grant, ledger_debit, ledger_expire_lot;
ALTER TABLE jobs DROP CONSTRAINT jobs_consistent,
  ALTER COLUMN status TYPE text, ALTER COLUMN error_type TYPE text,
  ADD CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')), ADD CHECK (error_type IN ('user', 'system')),
  ADD CHECK (attempt >= 0), ADD CHECK (max_attempts >= 1), ADD CHECK (progress BETWEEN 0 AND 100),
  ADD CHECK (credits_estimated > 0), ADD CHECK (credits_charged >= 0), ADD CHECK (credits_refunded >= 0),
  ADD CHECK (credits_charged + credits_refunded <= credits_estimated),
  ADD CHECK ((status IN ('succeeded', 'failed', 'canceled')) = (finished_at IS NOT NULL));
ALTER TABLE ledger_lot_consumptions ALTER COLUMN amount TYPE bigint, ADD CHECK (amount > 0);
CREATE INDEX ledger_lot_consumptions_lot_idx ON ledger_lot_consumptions (lot_id);
ALTER TABLE ledger_lots ALTER COLUMN category TYPE text, ALTER COLUMN amount TYPE bigint,
  ADD CHECK (category IN ('subscription', 'purchase', 'promotional', 'admin')), ADD CHECK (amount > 0);
ALTER TABLE ledger_pending DROP CONSTRAINT ledger_pending_consistent, ALTER COLUMN state TYPE text,
  ADD CHECK (state IN ('pending', 'posted', 'voided', 'expired')), ADD CHECK (amount > 0),
  ADD CHECK (posted_amount >= 0 AND posted_amount <= amount), ADD CHECK ((state = 'pending') = (resolved_at IS NULL)),
  ADD CHECK (state = 'posted' OR posted_amount = 0);
ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_shape,
  ALTER COLUMN kind TYPE text, ALTER COLUMN type TYPE text, ALTER COLUMN amount TYPE bigint,
  ADD CHECK (amount > 0), ADD CHECK (debit_account_id <> credit_account_id), ADD CHECK ((kind IN ('post', 'void')) = (pending_id IS NOT NULL)),
  ADD CHECK (kind IN ('plain', 'pending', 'post', 'void')),
  ADD CHECK (type IN ('grant', 'purchase', 'subscription', 'hold', 'charge', 'release', 'refund', 'expire', 'adjustment'));
DROP TRIGGER ledger_accounts_owner ON ledger_accounts;
DROP FUNCTION ledger_accounts_owner_check;
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_not_negative,
  ALTER COLUMN kind TYPE text, ALTER COLUMN system_code TYPE text, ALTER COLUMN credit_type TYPE text, ALTER COLUMN shard TYPE smallint,
  ADD CHECK (kind IN ('user', 'system')), ADD CHECK (system_code IN ('issuance', 'consumption', 'expiry', 'adjustment')),
  ADD CHECK (credit_type ~ '^[a-z][a-z0-9_]{0,31}$'), ADD CHECK (shard >= 0 AND shard < 64),
  ADD CHECK (credits_posted >= 0), ADD CHECK (debits_posted >= 0), ADD CHECK (credits_pending >= 0), ADD CHECK (debits_pending >= 0),
  ADD CONSTRAINT ledger_accounts_owner CHECK ((kind = 'user') = (user_id IS NOT NULL) AND (kind = 'system') = (system_code IS NOT NULL)),
  ADD CONSTRAINT ledger_accounts_user_not_negative CHECK (
    kind <> 'user' OR (credits_posted - debits_posted - debits_pending >= 0 AND credits_pending = 0));
DROP DOMAIN ledger_account_kind, ledger_system_code, ledger_credit_type, ledger_shard_number, ledger_transfer_kind,
  ledger_transfer_type, ledger_amount, ledger_pending_state, ledger_lot_category, job_status, job_error_type;
`);
    await q.query(LEDGER_FUNCTIONS);
  }
}

export const FAST_FUNCTIONS = String.raw`
-- The system-account stripe this connection uses: claimed once per session
-- with a session advisory lock, so busy connections never share a stripe
-- while there are free ones; past 64 connections, by backend pid. Any stripe
-- is correct (resolutions use the stripe their pending transfer named). The
-- setting is transactional and may vanish on a rollback; the advisory lock
-- is not, and re-claiming a stripe this session holds succeeds again.
CREATE OR REPLACE FUNCTION ledger_shard() RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v text := current_setting('holdfast.ledger_shard', true);
  i integer;
BEGIN
  IF v <> '' THEN RETURN v::integer; END IF;
  i := 0;
  WHILE i < 64 AND NOT pg_try_advisory_lock(1751, i) LOOP i := i + 1; END LOOP;
  IF i = 64 THEN i := pg_backend_pid() & 63; END IF;
  PERFORM set_config('holdfast.ledger_shard', i::text, false);
  RETURN i;
END $$;

-- Two-phase step 1: reserve p_amount. Everything that does not need the
-- account's row lock comes first (the transfer and pending rows; a replay is
-- caught by the transfer id's unique key before anything changes), then one
-- conditional UPDATE decides admission and locks the user account, then the
-- striped system account: a hot account's row is locked only for two
-- single-row updates and the commit. Lock order everywhere: user account,
-- system account, lots.
CREATE OR REPLACE FUNCTION ledger_hold(p_id uuid, p_account uuid, p_amount bigint, p_expires_at timestamptz,
                            p_job_id uuid, p_description text)
RETURNS TABLE (status text, available bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_user uuid;
  v_ct text;
  v_sys uuid;
  v_shard integer := coalesce(nullif(current_setting('holdfast.ledger_shard', true), '')::integer, ledger_shard());
  v_old ledger_transfers%ROWTYPE;
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 THEN
    RAISE EXCEPTION 'hold amount must be a positive integer, got %', p_amount USING ERRCODE = '22023';
  END IF;
  SELECT u.user_id, u.credit_type, s.id INTO v_user, v_ct, v_sys
    FROM ledger_accounts u
    LEFT JOIN ledger_accounts s ON s.kind = 'system' AND s.system_code = 'consumption'
                               AND s.credit_type = u.credit_type AND s.shard = v_shard
   WHERE u.id = p_account AND u.kind = 'user';
  IF NOT FOUND THEN status := 'account_not_found'; available := 0; RETURN NEXT; RETURN; END IF;
  IF v_sys IS NULL THEN v_sys := ledger_system_account('consumption', v_ct, v_shard); END IF;

  WITH t AS (
    INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, user_id, job_id, description)
    VALUES (p_id, 'pending', 'hold', p_account, v_sys, p_amount, v_ct, v_user, p_job_id, p_description)
    ON CONFLICT (id) DO NOTHING
    RETURNING id)
  INSERT INTO ledger_pending (transfer_id, account_id, amount, expires_at) SELECT t.id, p_account, p_amount, p_expires_at FROM t;
  IF NOT FOUND THEN
    SELECT * INTO v_old FROM ledger_transfers WHERE id = p_id;
    status := ledger_same_hold(v_old, p_account, p_amount); RETURN NEXT; RETURN;
  END IF;
  UPDATE ledger_accounts SET debits_pending = debits_pending + p_amount
   WHERE id = p_account AND credits_posted - debits_posted - debits_pending >= p_amount;
  IF NOT FOUND THEN
    DELETE FROM ledger_pending WHERE transfer_id = p_id;
    DELETE FROM ledger_transfers WHERE id = p_id;
    SELECT a.credits_posted - a.debits_posted - a.debits_pending INTO available FROM ledger_accounts a WHERE a.id = p_account;
    status := 'insufficient'; RETURN NEXT; RETURN;
  END IF;
  UPDATE ledger_accounts SET credits_pending = credits_pending + p_amount WHERE id = v_sys;
  status := 'created'; RETURN NEXT;
END $$;

-- Two-phase step 2: resolve a pending transfer exactly once. p_amount > 0
-- posts (captures) that much and releases the rest; p_amount = 0 voids it
-- (p_void_state 'voided', or 'expired' for the reaper). The conditional
-- UPDATE on the pending row's state decides races between post, void and
-- expire: exactly one of them finds it 'pending'. The transfer rows are
-- written before the account rows are locked; the lots burn last (fast
-- path: the first lot covers the whole capture, one statement).
CREATE OR REPLACE FUNCTION ledger_settle(p_id uuid, p_pending uuid, p_amount bigint, p_release_type text,
                              p_void_state text, p_description text)
RETURNS TABLE (status text, posted bigint, released bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_held bigint;
  v_debit uuid;
  v_credit uuid;
  v_ct text;
  v_user uuid;
  v_job uuid;
  v_p ledger_pending%ROWTYPE;
  v_release bigint;
  v_rows integer;
BEGIN
  IF p_amount IS NULL OR p_amount < 0 THEN
    RAISE EXCEPTION 'post amount must be a non-negative integer, got %', p_amount USING ERRCODE = '22023';
  END IF;
  IF p_release_type NOT IN ('release', 'refund') OR p_void_state NOT IN ('voided', 'expired') THEN
    RAISE EXCEPTION 'bad release type % or void state %', p_release_type, p_void_state USING ERRCODE = '22023';
  END IF;

  UPDATE ledger_pending p
     SET state = CASE WHEN p_amount > 0 THEN 'posted' ELSE p_void_state END,
         posted_amount = p_amount, resolved_by = p_id, resolved_at = now()
    FROM ledger_transfers t
   WHERE p.transfer_id = p_pending AND p.state = 'pending' AND p.amount >= p_amount AND t.id = p_pending
  RETURNING p.amount, t.debit_account_id, t.credit_account_id, t.credit_type, t.user_id, t.job_id
       INTO v_held, v_debit, v_credit, v_ct, v_user, v_job;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM ledger_transfers WHERE id = p_id AND pending_id IS DISTINCT FROM p_pending) THEN
      status := 'conflict'; posted := 0; released := 0; RETURN NEXT; RETURN;
    END IF;
    SELECT * INTO v_p FROM ledger_pending WHERE transfer_id = p_pending;
    IF NOT FOUND THEN status := 'not_found'; posted := 0; released := 0; RETURN NEXT; RETURN; END IF;
    posted := v_p.posted_amount; released := v_p.amount - v_p.posted_amount;
    IF v_p.state = 'pending' THEN
      status := 'exceeds_hold'; posted := 0; released := v_p.amount;
    ELSIF v_p.resolved_by = p_id THEN
      -- A replay must ask for the same resolution it got.
      status := CASE WHEN v_p.posted_amount = p_amount AND (p_amount > 0 OR v_p.state = p_void_state) THEN 'exists' ELSE 'conflict' END;
    ELSE
      status := 'already_' || v_p.state;
    END IF;
    RETURN NEXT; RETURN;
  END IF;

  v_release := v_held - p_amount;
  INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, pending_id, user_id, job_id, description)
  SELECT x.id, x.kind, x.type, v_debit, v_credit, x.amount, v_ct, p_pending, v_user, v_job, p_description
    FROM (VALUES (p_id, 'post', 'charge', p_amount),
                 (CASE WHEN p_amount > 0 THEN md5(p_id::text || ':release')::uuid ELSE p_id END, 'void', p_release_type, v_release)) AS x (id, kind, type, amount)
   WHERE x.amount > 0
  ON CONFLICT (id) DO NOTHING;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  IF v_rows <> (p_amount > 0)::int + (v_release > 0)::int THEN
    -- p_id already names another transfer: the exception undoes this whole call.
    RAISE EXCEPTION 'transfer id % is already used for something else', p_id USING ERRCODE = 'HF409';
  END IF;
  UPDATE ledger_accounts SET debits_pending = debits_pending - v_held, debits_posted = debits_posted + p_amount WHERE id = v_debit;
  UPDATE ledger_accounts SET credits_pending = credits_pending - v_held, credits_posted = credits_posted + p_amount WHERE id = v_credit;
  IF p_amount > 0 THEN
    WITH b AS (
      UPDATE ledger_lots SET remaining = remaining - p_amount
       WHERE id = (SELECT id FROM ledger_lots WHERE account_id = v_debit AND remaining > 0
                    ORDER BY (expires_at IS NOT NULL AND expires_at <= now()) DESC, priority, expires_at NULLS LAST, created_at, id
                    LIMIT 1 FOR UPDATE)
         AND remaining >= p_amount
      RETURNING id)
    INSERT INTO ledger_lot_consumptions (transfer_id, lot_id, amount) SELECT p_id, b.id, p_amount FROM b;
    IF NOT FOUND THEN PERFORM ledger_burn_lots(p_id, v_debit, p_amount); END IF;
  END IF;
  status := 'created'; posted := p_amount; released := v_release; RETURN NEXT;
END $$;
`;
