-- What ledger_settle answers when it does not resolve p_pending: p_id already
-- names a transfer of another hold ('conflict'); no such hold ('not_found');
-- still pending but holding less than p_amount ('exceeds_hold'); resolved by
-- p_id before — 'exists' when asked for the same resolution, else 'conflict';
-- resolved by someone else ('already_<state>', with that resolution's amounts).
CREATE OR REPLACE FUNCTION ledger_settle_refusal(p_id uuid, p_pending uuid, p_amount bigint, p_void_state text)
RETURNS TABLE (status text, posted bigint, released bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_p ledger_pending%ROWTYPE;
BEGIN
  IF EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = p_id AND t.pending_id IS DISTINCT FROM p_pending) THEN
    status := 'conflict'; posted := 0; released := 0; RETURN NEXT; RETURN;
  END IF;
  SELECT * INTO v_p FROM ledger_pending p WHERE p.transfer_id = p_pending;
  IF NOT FOUND THEN status := 'not_found'; posted := 0; released := 0; RETURN NEXT; RETURN; END IF;
  posted := v_p.posted_amount; released := v_p.amount - v_p.posted_amount;
  IF v_p.state = 'pending' THEN
    status := 'exceeds_hold'; posted := 0; released := v_p.amount;
  ELSIF v_p.resolved_by = p_id THEN
    -- A replay must ask for the same resolution it got.
    status := CASE WHEN v_p.posted_amount = p_amount AND (p_amount > 0 OR v_p.state = p_void_state) THEN 'exists' ELSE 'conflict' END;
  ELSE
    status := 'already_' || v_p.state;
  END IF;
  RETURN NEXT;
END $$;
