-- Take credits back out of particular lots (a Stripe refund or a lost
-- chargeback takes back what is left of the purchase's own lot; a chargeback
-- freezes it; a debt is repaid from a new purchase's lot): a plain transfer
-- from the user account into system account p_sink of as much as it can,
-- at most p_max, at most what those lots still hold and at most what the
-- account has available (credits backing a pending hold stay: the hold's
-- capture may need them; what could not be taken is the caller's to record
-- as a debt). Never a negative balance, never another lot.
--
-- Lock order as everywhere: the user account, the system account, then the
-- lots (burnt in the order given). A replay (same id) takes nothing more and
-- answers 'exists' with the amount taken the first time; nothing to take is
-- 'nothing' and writes no transfer.
CREATE OR REPLACE FUNCTION ledger_take_lots(p_id uuid, p_account uuid, p_lots uuid[], p_max bigint, p_type text, p_sink text,
                                 p_description text, p_metadata jsonb)
RETURNS TABLE (status text, amount bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_acc ledger_accounts%ROWTYPE;
  v_sys uuid;
  v_old ledger_transfers%ROWTYPE;
  v_in_lots bigint;
  v_take bigint;
  v_left bigint;
  v_lot record;
  v_burn bigint;
BEGIN
  IF p_max IS NULL OR p_max < 0 THEN
    RAISE EXCEPTION 'take amount must be a non-negative integer, got %', p_max USING ERRCODE = '22023';
  END IF;
  SELECT * INTO v_old FROM ledger_transfers WHERE id = p_id;
  IF FOUND THEN
    IF v_old.kind = 'plain' AND v_old.debit_account_id = p_account THEN
      RETURN QUERY SELECT 'exists'::text, v_old.amount::bigint;
    ELSE
      RETURN QUERY SELECT 'conflict'::text, 0::bigint;
    END IF;
    RETURN;
  END IF;
  SELECT * INTO v_acc FROM ledger_accounts WHERE id = p_account AND kind = 'user' FOR NO KEY UPDATE;
  IF NOT FOUND THEN RETURN QUERY SELECT 'account_not_found'::text, 0::bigint; RETURN; END IF;
  SELECT coalesce(sum(l.remaining), 0) INTO v_in_lots FROM ledger_lots l WHERE l.id = ANY (p_lots) AND l.account_id = p_account;
  v_take := LEAST(p_max, v_in_lots, v_acc.credits_posted - v_acc.debits_posted - v_acc.debits_pending);
  IF v_take <= 0 THEN RETURN QUERY SELECT 'nothing'::text, 0::bigint; RETURN; END IF;
  v_sys := ledger_system_account(p_sink, v_acc.credit_type, ledger_shard());

  INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, user_id, description, metadata)
  VALUES (p_id, 'plain', p_type, p_account, v_sys, v_take, v_acc.credit_type, v_acc.user_id, p_description, p_metadata);
  UPDATE ledger_accounts SET debits_posted = debits_posted + v_take WHERE id = p_account;
  UPDATE ledger_accounts SET credits_posted = credits_posted + v_take WHERE id = v_sys;
  v_left := v_take;
  FOR v_lot IN
    SELECT l.id, l.remaining FROM ledger_lots l
      JOIN unnest(p_lots) WITH ORDINALITY AS o (id, ord) ON o.id = l.id
     WHERE l.account_id = p_account AND l.remaining > 0
     ORDER BY o.ord
     FOR UPDATE OF l
  LOOP
    EXIT WHEN v_left = 0;
    v_burn := LEAST(v_left, v_lot.remaining);
    UPDATE ledger_lots SET remaining = remaining - v_burn WHERE id = v_lot.id;
    INSERT INTO ledger_lot_consumptions (transfer_id, lot_id, amount) VALUES (p_id, v_lot.id, v_burn);
    v_left := v_left - v_burn;
  END LOOP;
  IF v_left > 0 THEN
    RAISE EXCEPTION 'ledger corrupt: lots % are % short of a take', p_lots, v_left USING ERRCODE = 'XX000';
  END IF;
  RETURN QUERY SELECT 'created'::text, v_take;
END $$;
