-- Expire one lot's unspent remainder as of p_now, but never what pending
-- holds placed before it expired need. Posts burn lots already past their expiry first, in the order
-- (priority, expires_at, created_at, id), so the account's holds are covered
-- by the due lots in that order: this lot keeps
--   clamp(held − remaining of the due lots that burn before it, 0, remaining)
-- and a later run expires that kept part once the holds are resolved. Safe to
-- run twice: the transfer id derives from the lot and how much of it is used.
CREATE OR REPLACE FUNCTION ledger_expire_lot(p_lot uuid, p_now timestamptz)
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
  v_held bigint;
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
  -- Only holds placed before this lot expired were admitted against it (ledger_expired_unbacked):
  -- a hold placed later backs nothing of it and must not keep it alive.
  SELECT coalesce(sum(p.amount), 0) INTO v_held FROM ledger_pending p JOIN ledger_transfers t ON t.id = p.transfer_id
   WHERE p.account_id = v_account AND p.state = 'pending' AND t.created_at < v_lot.expires_at;
  v_amount := v_lot.remaining - GREATEST(0, LEAST(v_lot.remaining, v_held - v_before));
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
