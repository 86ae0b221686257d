-- The id of a user's account for a credit type, created on first use.
CREATE OR REPLACE FUNCTION ledger_user_account(p_user uuid, p_credit_type text) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE v uuid;
BEGIN
  SELECT id INTO v FROM ledger_accounts WHERE kind = 'user' AND user_id = p_user AND credit_type = p_credit_type;
  IF v IS NULL THEN
    -- A new account starts with the user's spend limits (src/credits/spend-limits.ts keeps them in step after).
    INSERT INTO ledger_accounts (kind, user_id, credit_type, spend_limit_daily, spend_limit_monthly)
    SELECT 'user', p_user, p_credit_type, least(s.daily, s.ceiling_daily), least(s.monthly, s.ceiling_monthly)
      FROM (SELECT 1) one LEFT JOIN spend_limits s ON s.user_id = p_user
    ON CONFLICT (user_id, credit_type) WHERE kind = 'user' DO NOTHING
    RETURNING id INTO v;
    IF v IS NULL THEN
      SELECT id INTO v FROM ledger_accounts WHERE kind = 'user' AND user_id = p_user AND credit_type = p_credit_type;
    END IF;
  END IF;
  RETURN v;
END $$;
