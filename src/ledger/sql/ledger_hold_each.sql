-- Many holds on one account: the one-account case of ledger_hold_each_many.
CREATE OR REPLACE FUNCTION ledger_hold_each(p_ids uuid[], p_account uuid, p_amounts bigint[], p_expires_at timestamptz[],
                                            p_job_ids uuid[], p_descriptions text[])
RETURNS TABLE (id uuid, status text, available bigint)
LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(cardinality(p_ids), 0) = 0 THEN
    RAISE EXCEPTION 'hold_each needs equally long, non-empty arrays' USING ERRCODE = '22023';
  END IF;
  IF p_account IS NULL THEN RAISE EXCEPTION 'hold_each needs an account' USING ERRCODE = '22023'; END IF;
  RETURN QUERY SELECT * FROM ledger_hold_each_many(p_ids, array_fill(p_account, ARRAY[cardinality(p_ids)]), p_amounts,
                                                   p_expires_at, p_job_ids, p_descriptions);
END $$;
