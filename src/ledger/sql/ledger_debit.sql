-- A plain debit from a user account (admin removal) into a system account,
-- admitted by one conditional UPDATE on available credit; it burns lots.
CREATE OR REPLACE FUNCTION ledger_debit(p_id uuid, p_account uuid, p_amount bigint, p_type text, p_sink text,
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
