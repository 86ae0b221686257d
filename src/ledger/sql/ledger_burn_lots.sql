-- Burn p_amount from the account's lots. For a hold's capture (p_since = when
-- the hold was placed): first the expired remainders of lots that expired
-- after the hold was placed (they survive expiry only because such a hold
-- needed them), then by priority, earliest expiry, oldest — and last the lots
-- that had already expired when the hold was placed: admission never counted
-- them (ledger_expired_unbacked), so they are left for the expiry task to
-- sweep rather than spent. For a plain debit (p_since NULL) every expired
-- remainder goes first. The caller already debited the account, so the lots'
-- sum always covers it; running short means the books are corrupt, so fail
-- loudly.
CREATE OR REPLACE FUNCTION ledger_burn_lots(p_transfer uuid, p_account uuid, p_amount bigint, p_since timestamptz DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_left bigint := p_amount;
  v_lot record;
  v_take bigint;
BEGIN
  FOR v_lot IN
    SELECT id, remaining FROM ledger_lots
     WHERE account_id = p_account AND remaining > 0
     ORDER BY (expires_at IS NOT NULL AND expires_at <= now() AND (p_since IS NULL OR expires_at > p_since)) DESC,
              (expires_at IS NOT NULL AND expires_at <= p_since) IS TRUE,
              priority, expires_at NULLS LAST, created_at, id
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
