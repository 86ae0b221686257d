-- Who owns an account never changes after it is created, so the rule is
-- checked when a row is written with those columns, not on every balance update.
CREATE OR REPLACE FUNCTION ledger_accounts_owner_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT ((NEW.kind = 'user') = (NEW.user_id IS NOT NULL) AND (NEW.kind = 'system') = (NEW.system_code IS NOT NULL)) THEN
    RAISE EXCEPTION 'ledger account %: a user account has a user and no system code, a system account the reverse', NEW.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
