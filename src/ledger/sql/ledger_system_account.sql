-- The id of system account p_code for a credit type on stripe p_shard,
-- created on first use (a concurrent creator loses the insert and reads
-- the winner's row).
CREATE OR REPLACE FUNCTION ledger_system_account(p_code text, p_credit_type text, p_shard integer) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE v uuid;
BEGIN
  SELECT id INTO v FROM ledger_accounts
   WHERE kind = 'system' AND system_code = p_code AND credit_type = p_credit_type AND shard = p_shard;
  IF v IS NULL THEN
    INSERT INTO ledger_accounts (kind, system_code, credit_type, shard)
    VALUES ('system', p_code, p_credit_type, p_shard)
    ON CONFLICT (system_code, credit_type, shard) WHERE kind = 'system' DO NOTHING
    RETURNING id INTO v;
    IF v IS NULL THEN
      SELECT id INTO v FROM ledger_accounts
       WHERE kind = 'system' AND system_code = p_code AND credit_type = p_credit_type AND shard = p_shard;
    END IF;
  END IF;
  RETURN v;
END $$;
