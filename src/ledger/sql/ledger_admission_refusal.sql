-- The two rules a hold meets beyond "posted − held covers it", checked by
-- ledger_hold and ledger_hold_many under the account's row lock (their
-- conditional UPDATE took it), so concurrent holds of one account queue on
-- that lock and can never overshoot either rule. NULL status: admitted.
--
-- 1. Lots past their expiry that the expiry task has not swept yet back no
--    new hold (the task may run minutes later): a new hold gets
--    posted − held − ledger_expired_unbacked ('insufficient', with that as
--    available).
-- 2. Spend limits: the period's spent (ledger_spent) plus this hold must
--    stay within the account's daily and monthly limit (NULL: none). The
--    refusal reads 'spend_limit:<day|month>:<limit>' with the period's spent
--    before this hold as available. ledger_spent runs only for an account
--    with a limit.
--
-- p_held: the account's pending debits before this hold; p_own: how much of
-- p_amount ledger_spent already sees (the caller wrote its pending rows).
CREATE OR REPLACE FUNCTION ledger_admission_refusal(p_account uuid, p_posted bigint, p_held bigint, p_amount bigint,
                                                    p_daily bigint, p_monthly bigint, p_own bigint)
RETURNS TABLE (status text, available bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_expired bigint;
  v_day bigint;
  v_month bigint;
BEGIN
  v_expired := ledger_expired_unbacked(p_account);
  IF p_posted - p_held - v_expired < p_amount THEN
    status := 'insufficient'; available := GREATEST(0, p_posted - p_held - v_expired); RETURN NEXT; RETURN;
  END IF;
  IF p_daily IS NOT NULL OR p_monthly IS NOT NULL THEN
    SELECT s.day - p_own, s.month - p_own INTO v_day, v_month FROM ledger_spent(p_account, now()) s;
    IF p_daily IS NOT NULL AND v_day + p_amount > p_daily THEN
      status := 'spend_limit:day:' || p_daily; available := v_day; RETURN NEXT; RETURN;
    END IF;
    IF p_monthly IS NOT NULL AND v_month + p_amount > p_monthly THEN
      status := 'spend_limit:month:' || p_monthly; available := v_month; RETURN NEXT; RETURN;
    END IF;
  END IF;
  status := NULL; available := NULL; RETURN NEXT;
END $$;
