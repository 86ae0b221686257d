-- Two-phase step 2: resolve a pending transfer exactly once. p_amount > 0
-- posts (captures) that much and releases the rest; p_amount = 0 voids it
-- (p_void_state 'voided', or 'expired' for the reaper). The conditional
-- UPDATE on the pending row's state decides races between post, void and
-- expire: exactly one of them finds it 'pending'. The transfer rows are
-- written before the account rows are locked; the lots burn last (fast
-- path: the first lot covers the whole capture, one statement). A call it
-- does not resolve is answered by ledger_settle_refusal.
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
  v_release bigint;
  v_rows integer;
  v_since timestamptz;
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
   -- resolved_at IS NULL is state = 'pending' (ledger_pending_consistent), written so that the
   -- planner never reads it as the predicate of ledger_pending_expiry_idx: statistics taken while
   -- few holds were pending made it scan every pending hold for this one row (see ledger_settle_many).
   WHERE p.transfer_id = p_pending AND p.resolved_at IS NULL AND p.amount >= p_amount AND t.id = p_pending
  RETURNING p.amount, t.debit_account_id, t.credit_account_id, t.credit_type, t.user_id, t.job_id, t.created_at
       INTO v_held, v_debit, v_credit, v_ct, v_user, v_job, v_since;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM ledger_settle_refusal(p_id, p_pending, p_amount, p_void_state);
    RETURN;
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
                    -- ledger_burn_lots's order for a capture (lots expired before the hold was placed last)
                    ORDER BY (expires_at IS NOT NULL AND expires_at <= now() AND expires_at > v_since) DESC,
                             (expires_at IS NOT NULL AND expires_at <= v_since), priority, expires_at NULLS LAST, created_at, id
                    LIMIT 1 FOR UPDATE)
         AND remaining >= p_amount
      RETURNING id)
    INSERT INTO ledger_lot_consumptions (transfer_id, lot_id, amount) SELECT p_id, b.id, p_amount FROM b;
    IF NOT FOUND THEN PERFORM ledger_burn_lots(p_id, v_debit, p_amount, v_since); END IF;
  END IF;
  status := 'created'; posted := p_amount; released := v_release; RETURN NEXT;
END $$;
