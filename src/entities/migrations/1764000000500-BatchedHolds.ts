import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * ledger_hold_each: many holds on one account in one call, each admitted or
 * refused on its own, in the order given (unlike ledger_hold_many, which is
 * all or nothing). The API batches concurrent submissions for one account
 * into one call: one row lock, one account update and one commit for the
 * batch instead of one per job.
 */
export class BatchedHolds1764000000500 implements MigrationInterface {
  name = "BatchedHolds1764000000500";

  async up(q: QueryRunner): Promise<void> {
    await q.query(HOLD_EACH);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ledger_hold_each`);
  }
}

const HOLD_EACH = String.raw`
-- The same order as ledger_hold: the transfer rows first (ON CONFLICT DO
-- NOTHING, in id order, so two batches sharing ids wait on each other's keys
-- in one order and a replay is caught before anything changes), then the
-- account's row lock, then admission, which walks this call's new holds in
-- the order given against what is available: each hold that fits is taken,
-- each that does not is refused with what was left ('insufficient') and its
-- transfer row removed, so a batch admits exactly what the same holds sent
-- one by one would have. An id that already names a transfer (also one a
-- concurrent call just wrote) is 'exists' for the same hold, 'conflict'
-- otherwise, and takes no credit. Lock order as everywhere: user account,
-- then system account.
CREATE FUNCTION ledger_hold_each(p_ids uuid[], p_account uuid, p_amounts bigint[], p_expires_at timestamptz[],
                                 p_job_ids uuid[], p_descriptions text[])
RETURNS TABLE (id uuid, status text, available bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_n integer := cardinality(p_ids);
  v_user uuid;
  v_ct text;
  v_sys uuid;
  v_shard integer := coalesce(nullif(current_setting('holdfast.ledger_shard', true), '')::integer, ledger_shard());
  v_ins uuid[];
  v_left bigint;
  v_total bigint := 0;
  v_status text[];
  v_left_at bigint[];
  v_refused uuid[] := '{}';
  i integer;
BEGIN
  IF v_n IS NULL OR v_n = 0 OR v_n <> cardinality(p_amounts) OR v_n <> cardinality(p_expires_at)
     OR v_n <> cardinality(p_job_ids) OR v_n <> cardinality(p_descriptions) THEN
    RAISE EXCEPTION 'hold_each needs equally long, non-empty arrays' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(p_amounts) a WHERE a IS NULL OR a <= 0) THEN
    RAISE EXCEPTION 'hold amounts must be positive integers' USING ERRCODE = '22023';
  END IF;
  IF (SELECT count(DISTINCT x) FROM unnest(p_ids) x) <> v_n OR array_position(p_ids, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'hold_each ids must be distinct and not null' USING ERRCODE = '22023';
  END IF;
  SELECT u.user_id, u.credit_type, s.id INTO v_user, v_ct, v_sys
    FROM ledger_accounts u
    LEFT JOIN ledger_accounts s ON s.kind = 'system' AND s.system_code = 'consumption'
                               AND s.credit_type = u.credit_type AND s.shard = v_shard
   WHERE u.id = p_account AND u.kind = 'user';
  IF NOT FOUND THEN
    RETURN QUERY SELECT x, 'account_not_found'::text, 0::bigint FROM unnest(p_ids) x;
    RETURN;
  END IF;
  IF v_sys IS NULL THEN v_sys := ledger_system_account('consumption', v_ct, v_shard); END IF;

  WITH ins AS (
    INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, user_id, job_id, description)
    SELECT t.id, 'pending', 'hold', p_account, v_sys, t.amount, v_ct, v_user, t.job_id, t.description
      FROM unnest(p_ids, p_amounts, p_job_ids, p_descriptions) AS t (id, amount, job_id, description)
     ORDER BY t.id
    ON CONFLICT DO NOTHING
    RETURNING ledger_transfers.id)
  SELECT coalesce(array_agg(ins.id), '{}') INTO v_ins FROM ins;
  -- Ids this call did not write already name a transfer: a replay or a reuse.
  SELECT array_agg(CASE WHEN a.id = ANY (v_ins) THEN NULL
                        ELSE (SELECT ledger_same_hold(t, p_account, a.amount) FROM ledger_transfers t WHERE t.id = a.id) END
                   ORDER BY a.ord)
    INTO v_status FROM unnest(p_ids, p_amounts) WITH ORDINALITY AS a (id, amount, ord);

  SELECT a.credits_posted - a.debits_posted - a.debits_pending INTO v_left
    FROM ledger_accounts a WHERE a.id = p_account FOR NO KEY UPDATE;
  v_left_at := array_fill(NULL::bigint, ARRAY[v_n]);
  FOR i IN 1..v_n LOOP
    CONTINUE WHEN v_status[i] IS NOT NULL;
    IF p_amounts[i] <= v_left THEN
      v_status[i] := 'created';
      v_left := v_left - p_amounts[i];
      v_total := v_total + p_amounts[i];
    ELSE
      v_status[i] := 'insufficient';
      v_left_at[i] := v_left;
      v_refused := v_refused || p_ids[i];
    END IF;
  END LOOP;

  IF cardinality(v_refused) > 0 THEN
    DELETE FROM ledger_transfers t WHERE t.id = ANY (v_refused);
  END IF;
  IF v_total > 0 THEN
    INSERT INTO ledger_pending (transfer_id, account_id, amount, expires_at)
    SELECT x.id, p_account, x.amount, x.expires_at
      FROM unnest(p_ids, p_amounts, p_expires_at, v_status) AS x (id, amount, expires_at, status)
     WHERE x.status = 'created';
    UPDATE ledger_accounts SET debits_pending = debits_pending + v_total WHERE ledger_accounts.id = p_account;
    UPDATE ledger_accounts SET credits_pending = credits_pending + v_total WHERE ledger_accounts.id = v_sys;
  END IF;
  RETURN QUERY SELECT x.id, x.status, x.left_at FROM unnest(p_ids, v_status, v_left_at) AS x (id, status, left_at);
END $$;
`;
