-- Burn p_amount from the account's lots: expired remainders first (they only
-- survive expiry because a hold needed them), then by priority, earliest
-- expiry, oldest. The caller already debited the account, so the lots' sum
-- always covers it; running short means the books are corrupt, so fail loudly.
CREATE OR REPLACE FUNCTION ledger_burn_lots(p_transfer uuid, p_account uuid, p_amount bigint) RETURNS void
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
