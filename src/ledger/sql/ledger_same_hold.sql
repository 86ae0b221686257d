-- An id that already names a transfer: 'exists' if that transfer is the
-- same hold (pending, same account, same amount), a replay; 'conflict' if
-- the id was used for something else.
CREATE OR REPLACE FUNCTION ledger_same_hold(p_old ledger_transfers, p_account uuid, p_amount bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_old.kind = 'pending' AND p_old.debit_account_id = p_account AND p_old.amount = p_amount
              THEN 'exists' ELSE 'conflict' END
$$;
