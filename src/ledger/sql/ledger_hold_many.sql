-- Several holds on one account admitted by one check of their total (a batch:
-- all or nothing). Each hold is its own pending transfer, settled on its own.
CREATE OR REPLACE FUNCTION ledger_hold_many(p_ids uuid[], p_account uuid, p_amounts bigint[], p_expires_at timestamptz,
                                 p_job_ids uuid[], p_description text)
RETURNS TABLE (status text, available bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_acc ledger_accounts%ROWTYPE;
  v_sys uuid;
  v_total bigint;
  v_n integer := cardinality(p_ids);
  v_inserted integer;
  v_refusal record;
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
   WHERE id = p_account AND credits_posted - debits_posted - debits_pending >= v_total
  RETURNING * INTO v_acc;
  IF NOT FOUND THEN
    DELETE FROM ledger_transfers WHERE id = ANY (p_ids);
    RETURN QUERY SELECT 'insufficient'::text,
      (SELECT GREATEST(0, a.credits_posted - a.debits_posted - a.debits_pending - ledger_expired_unbacked(p_account))
         FROM ledger_accounts a WHERE a.id = p_account);
    RETURN;
  END IF;
  -- Expired-but-unswept lots and spend limits for the total, under the row lock just taken (see ledger_admission_refusal);
  -- an account with neither (the common case) costs one index probe.
  IF v_acc.spend_limit_daily IS NOT NULL OR v_acc.spend_limit_monthly IS NOT NULL
     OR EXISTS (SELECT 1 FROM ledger_lots l WHERE l.account_id = p_account AND l.remaining > 0 AND l.expires_at <= now()) THEN
    SELECT * INTO v_refusal FROM ledger_admission_refusal(p_account, v_acc.credits_posted - v_acc.debits_posted, v_acc.debits_pending - v_total,
                                                          v_total, v_acc.spend_limit_daily, v_acc.spend_limit_monthly, 0);
    IF v_refusal.status IS NOT NULL THEN
      UPDATE ledger_accounts SET debits_pending = debits_pending - v_total WHERE id = p_account;
      DELETE FROM ledger_transfers WHERE id = ANY (p_ids);
      RETURN QUERY SELECT v_refusal.status, v_refusal.available;
      RETURN;
    END IF;
  END IF;
  UPDATE ledger_accounts SET credits_pending = credits_pending + v_total WHERE id = v_sys;
  INSERT INTO ledger_pending (transfer_id, account_id, amount, expires_at)
  SELECT t.id, p_account, t.amount, p_expires_at FROM unnest(p_ids, p_amounts) AS t (id, amount);
  RETURN QUERY SELECT 'created'::text, NULL::bigint;
END $$;
