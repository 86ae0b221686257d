-- What an account has spent in the UTC day and the calendar month (UTC) that
-- contain p_now, for spend limits. A hold counts in the period it was placed
-- (that is when its limit decided it): what it still holds while pending,
-- then what was captured of it; a release, a refund (void) or an expiry
-- gives its credits back. A dispute refund into the account in the period
-- gives room back too. Never below zero.
--
-- Read under the account's row lock by the hold functions, and only for an
-- account with a limit (ledger_accounts.spend_limit_daily / _monthly), so
-- accounts without one never run it. One range scan of the user's transfers
-- of the month (ledger_transfers_user_idx).
CREATE OR REPLACE FUNCTION ledger_spent(p_account uuid, p_now timestamptz)
RETURNS TABLE (day bigint, month bigint)
LANGUAGE sql STABLE AS $$
  WITH b AS (
    SELECT date_trunc('day', p_now AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day_start,
           date_trunc('month', p_now AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month_start,
           (SELECT a.user_id FROM ledger_accounts a WHERE a.id = p_account) AS user_id
  ), x AS (
    SELECT t.created_at,
           CASE WHEN t.kind = 'pending' THEN CASE WHEN p.state = 'pending' THEN p.amount ELSE p.posted_amount END
                ELSE -t.amount END AS credits
      FROM b
      JOIN ledger_transfers t ON t.user_id = b.user_id AND t.created_at >= b.month_start
      LEFT JOIN ledger_pending p ON p.transfer_id = t.id
     WHERE (t.kind = 'pending' AND t.debit_account_id = p_account)
        OR (t.type = 'dispute_refund' AND t.credit_account_id = p_account)
  )
  SELECT greatest(0, coalesce(sum(x.credits) FILTER (WHERE x.created_at >= b.day_start), 0))::bigint,
         greatest(0, coalesce(sum(x.credits), 0))::bigint
    FROM b LEFT JOIN x ON true
   GROUP BY b.day_start
$$;
