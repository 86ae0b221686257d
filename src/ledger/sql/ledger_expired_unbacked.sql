-- How much of an account's lots past their expiry, not swept yet, backs no
-- hold: their remainder less what holds placed before they expired still
-- hold (those holds were admitted while the lots were live, and the expiry
-- task keeps that much for them, see ledger_expire_lot). New holds are
-- admitted only against the rest (posted − held − this), so credits past
-- their expiry are never spendable, whether or not the expiry task has run.
-- 0 at the cost of one index probe when the account has no such lot (the
-- common case); the pending rows are read only when it has one.
CREATE OR REPLACE FUNCTION ledger_expired_unbacked(p_account uuid) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_expired bigint;
  v_last timestamptz;
  v_backed bigint;
BEGIN
  SELECT coalesce(sum(l.remaining), 0), max(l.expires_at) INTO v_expired, v_last FROM ledger_lots l
   WHERE l.account_id = p_account AND l.remaining > 0 AND l.expires_at <= now();
  IF v_expired = 0 THEN RETURN 0; END IF;
  SELECT coalesce(sum(p.amount), 0) INTO v_backed
    FROM ledger_pending p JOIN ledger_transfers t ON t.id = p.transfer_id
   WHERE p.account_id = p_account AND p.state = 'pending' AND t.created_at < v_last;
  RETURN GREATEST(0, v_expired - v_backed);
END $$;
