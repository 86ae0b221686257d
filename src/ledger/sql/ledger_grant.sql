-- A plain credit into a user account (grant, purchase, subscription,
-- adjustment) from a system account; it creates the lot.
CREATE OR REPLACE FUNCTION ledger_grant(p_id uuid, p_account uuid, p_amount bigint, p_type text, p_source text,
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
