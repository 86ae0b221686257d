-- Two-phase step 1: reserve p_amount. Everything that does not need the
-- account's row lock comes first (the transfer and pending rows; a replay is
-- caught by the transfer id's unique key before anything changes), then one
-- conditional UPDATE decides admission and locks the user account, then the
-- striped system account: a hot account's row is locked only for two
-- single-row updates and the commit. Lock order everywhere: user account,
-- system account, lots. Expired lots and spend limits are checked under the
-- user account's lock (ledger_admission_refusal).
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
  v_acc ledger_accounts%ROWTYPE;
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
   WHERE id = p_account AND credits_posted - debits_posted - debits_pending >= p_amount
  RETURNING * INTO v_acc;
  IF NOT FOUND THEN
    DELETE FROM ledger_pending WHERE transfer_id = p_id;
    DELETE FROM ledger_transfers WHERE id = p_id;
    SELECT GREATEST(0, a.credits_posted - a.debits_posted - a.debits_pending - ledger_expired_unbacked(p_account)) INTO available
      FROM ledger_accounts a WHERE a.id = p_account;
    status := 'insufficient'; RETURN NEXT; RETURN;
  END IF;
  -- Expired-but-unswept lots and spend limits, under the row lock just taken (see ledger_admission_refusal);
  -- an account with neither (the common case) costs one index probe.
  IF v_acc.spend_limit_daily IS NOT NULL OR v_acc.spend_limit_monthly IS NOT NULL
     OR EXISTS (SELECT 1 FROM ledger_lots l WHERE l.account_id = p_account AND l.remaining > 0 AND l.expires_at <= now()) THEN
    SELECT r.status, r.available INTO status, available
      FROM ledger_admission_refusal(p_account, v_acc.credits_posted - v_acc.debits_posted, v_acc.debits_pending - p_amount, p_amount,
                                    v_acc.spend_limit_daily, v_acc.spend_limit_monthly, p_amount) r;
    IF status IS NOT NULL THEN
      UPDATE ledger_accounts SET debits_pending = debits_pending - p_amount WHERE id = p_account;
      DELETE FROM ledger_pending WHERE transfer_id = p_id;
      DELETE FROM ledger_transfers WHERE id = p_id;
      RETURN NEXT; RETURN;
    END IF;
  END IF;
  UPDATE ledger_accounts SET credits_pending = credits_pending + p_amount WHERE id = v_sys;
  status := 'created'; RETURN NEXT;
END $$;
