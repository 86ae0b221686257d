-- Batched holds: many holds, on one account or several, in one call (the
-- API batches concurrent submissions into one call: one row lock and one
-- update per account, and one commit, for the batch instead of for each job).
-- Unlike ledger_hold_many, which is all or nothing for one account.
--
-- The same order as ledger_hold, and deadlock-free as ledger_settle_many is:
-- the transfer rows first (ON CONFLICT DO NOTHING, in id order, so batches
-- sharing ids wait on each other's keys in one order and a replay is caught
-- before anything changes), then the user accounts' row locks by id, then
-- admission, then the system accounts by id — the order every ledger
-- function follows. A fixed number of statements per batch: the input is
-- checked in one statement, earlier transfers are looked up only when some
-- id was not new, and the system stripes are written in one UPDATE.
--
-- Each hold is admitted or refused on its own, in the order given, against
-- what its account has available (and its spend limits allow, see
-- ledger_admission_refusal) under the account's row lock, exactly as
-- the same holds sent one by one would be; refused holds leave no row. An
-- id that already names a transfer is 'exists' for the same hold on the same
-- account, 'conflict' otherwise, and takes no credit; an unknown account is
-- 'account_not_found'. An empty batch does nothing.
CREATE OR REPLACE FUNCTION ledger_hold_each_many(p_ids uuid[], p_accounts uuid[], p_amounts bigint[], p_expires_at timestamptz[],
                                      p_job_ids uuid[], p_descriptions text[])
RETURNS TABLE (id uuid, status text, available bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_n integer := coalesce(cardinality(p_ids), 0);
  v_amounts_ok boolean;
  v_ids_ok boolean;
  v_acc uuid[];
  v_user uuid[];
  v_ct text[];
  v_sys uuid[];
  v_shards integer[];
  v_left bigint[];
  v_total bigint[];
  v_ins uuid[];
  v_status text[];
  v_left_at bigint[];
  v_refused uuid[] := '{}';
  v_locked uuid[];
  v_avail bigint[];
  v_a integer;
  i integer;
  v_daily bigint[];
  v_monthly bigint[];
  v_lim_day bigint[];
  v_lim_month bigint[];
  v_spent_day bigint[];
  v_spent_month bigint[];
  r record;
BEGIN
  IF v_n <> coalesce(cardinality(p_accounts), 0) OR v_n <> coalesce(cardinality(p_amounts), 0)
     OR v_n <> coalesce(cardinality(p_expires_at), 0) OR v_n <> coalesce(cardinality(p_job_ids), 0)
     OR v_n <> coalesce(cardinality(p_descriptions), 0) THEN
    RAISE EXCEPTION 'hold_each needs equally long arrays' USING ERRCODE = '22023';
  END IF;
  IF v_n = 0 THEN RETURN; END IF;
  SELECT coalesce(bool_and(coalesce(x.amount > 0, false)), false), count(DISTINCT x.id) = v_n AND count(x.acc) = v_n
    INTO v_amounts_ok, v_ids_ok
    FROM unnest(p_ids, p_accounts, p_amounts) AS x (id, acc, amount);
  IF NOT v_amounts_ok THEN
    RAISE EXCEPTION 'hold amounts must be positive integers' USING ERRCODE = '22023';
  END IF;
  IF NOT v_ids_ok THEN
    RAISE EXCEPTION 'hold_each ids must be distinct and not null, and every hold needs an account' USING ERRCODE = '22023';
  END IF;

  -- The batch's accounts, by id, with their owner, credit type and system stripe. One connection
  -- writes holds for many accounts here, and whoever settles them later touches the hold's stripe,
  -- so a batch spreads its holds over the stripes by account (a single ledger_hold uses its
  -- connection's stripe): settlements of different users then rarely meet on a stripe's row.
  SELECT array_agg(x.acc ORDER BY x.acc), array_agg(u.user_id ORDER BY x.acc), array_agg(u.credit_type ORDER BY x.acc),
         array_agg(s.id ORDER BY x.acc), array_agg(x.shard ORDER BY x.acc)
    INTO v_acc, v_user, v_ct, v_sys, v_shards
    FROM (SELECT DISTINCT acc, (abs(hashtextextended(acc::text, 0)) % 64)::integer AS shard FROM unnest(p_accounts) acc) x
    LEFT JOIN ledger_accounts u ON u.id = x.acc AND u.kind = 'user'
    LEFT JOIN ledger_accounts s ON s.kind = 'system' AND s.system_code = 'consumption'
                               AND s.credit_type = u.credit_type AND s.shard = x.shard;
  FOR v_a IN 1..cardinality(v_acc) LOOP
    IF v_user[v_a] IS NOT NULL AND v_sys[v_a] IS NULL THEN
      v_sys[v_a] := ledger_system_account('consumption', v_ct[v_a], v_shards[v_a]);
    END IF;
  END LOOP;

  WITH ins AS (
    INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, user_id, job_id, description)
    SELECT t.id, 'pending', 'hold', t.acc, v_sys[k.k], t.amount, v_ct[k.k], v_user[k.k], t.job_id, t.description
      FROM unnest(p_ids, p_accounts, p_amounts, p_job_ids, p_descriptions) AS t (id, acc, amount, job_id, description)
     CROSS JOIN LATERAL (SELECT array_position(v_acc, t.acc) AS k) k
     WHERE v_user[k.k] IS NOT NULL
     ORDER BY t.id
    ON CONFLICT DO NOTHING
    RETURNING ledger_transfers.id)
  SELECT coalesce(array_agg(ins.id), '{}') INTO v_ins FROM ins;
  IF cardinality(v_ins) = v_n THEN
    -- Every id was new (so every account known): nothing to look up.
    v_status := array_fill(NULL::text, ARRAY[v_n]);
  ELSE
    -- Ids this call did not write already name a transfer: a replay or a reuse.
    SELECT array_agg(CASE WHEN v_user[array_position(v_acc, a.acc)] IS NULL THEN 'account_not_found'
                          WHEN a.id = ANY (v_ins) THEN NULL
                          ELSE (SELECT ledger_same_hold(t, a.acc, a.amount) FROM ledger_transfers t WHERE t.id = a.id) END
                     ORDER BY a.ord)
      INTO v_status FROM unnest(p_ids, p_accounts, p_amounts) WITH ORDINALITY AS a (id, acc, amount, ord);
  END IF;

  -- The user accounts' row locks, in id order; what each has available.
  SELECT array_agg(x.id ORDER BY x.id), array_agg(x.avail ORDER BY x.id), array_agg(x.daily ORDER BY x.id), array_agg(x.monthly ORDER BY x.id)
    INTO v_locked, v_avail, v_daily, v_monthly
    FROM (SELECT l.id, l.credits_posted - l.debits_posted - l.debits_pending AS avail,
                 l.spend_limit_daily AS daily, l.spend_limit_monthly AS monthly
            FROM ledger_accounts l WHERE l.id = ANY (v_acc) AND l.kind = 'user'
           ORDER BY l.id FOR NO KEY UPDATE) x;
  v_left := array_fill(NULL::bigint, ARRAY[cardinality(v_acc)]);
  v_total := array_fill(0::bigint, ARRAY[cardinality(v_acc)]);
  v_lim_day := array_fill(NULL::bigint, ARRAY[cardinality(v_acc)]);
  v_lim_month := array_fill(NULL::bigint, ARRAY[cardinality(v_acc)]);
  v_spent_day := array_fill(NULL::bigint, ARRAY[cardinality(v_acc)]);
  v_spent_month := array_fill(NULL::bigint, ARRAY[cardinality(v_acc)]);
  FOR v_a IN 1..coalesce(cardinality(v_locked), 0) LOOP
    v_left[array_position(v_acc, v_locked[v_a])] := v_avail[v_a];
  END LOOP;
  -- Under those locks (a new statement sees what their last holders committed), the rules of
  -- ledger_admission_refusal for all the batch's accounts: lots past their expiry that the expiry
  -- task has not swept back no new hold (available = posted − held − ledger_expired_unbacked, one
  -- statement for the batch, the rest only for an account with such a lot); and an account with a
  -- spend limit keeps each period's spent within it (ledger_spent, run only for such an account).
  FOR r IN SELECT DISTINCT l.account_id FROM ledger_lots l
            WHERE l.account_id = ANY (v_locked) AND l.remaining > 0 AND l.expires_at <= now() LOOP
    i := array_position(v_locked, r.account_id);
    v_left[array_position(v_acc, r.account_id)] := GREATEST(0, v_avail[i] - ledger_expired_unbacked(r.account_id));
  END LOOP;
  FOR i IN 1..coalesce(cardinality(v_locked), 0) LOOP
    CONTINUE WHEN v_daily[i] IS NULL AND v_monthly[i] IS NULL;
    v_a := array_position(v_acc, v_locked[i]);
    v_lim_day[v_a] := v_daily[i];
    v_lim_month[v_a] := v_monthly[i];
    SELECT s.day, s.month INTO r FROM ledger_spent(v_locked[i], now()) s;
    v_spent_day[v_a] := r.day;
    v_spent_month[v_a] := r.month;
  END LOOP;

  v_left_at := array_fill(NULL::bigint, ARRAY[v_n]);
  FOR i IN 1..v_n LOOP
    CONTINUE WHEN v_status[i] IS NOT NULL;
    v_a := array_position(v_acc, p_accounts[i]);
    IF p_amounts[i] > v_left[v_a] THEN
      v_status[i] := 'insufficient';
      v_left_at[i] := v_left[v_a];
      v_refused := v_refused || p_ids[i];
    ELSIF v_spent_day[v_a] + p_amounts[i] > v_lim_day[v_a] THEN
      -- Spend limit: the status names the period and limit, available carries the period's spent.
      v_status[i] := 'spend_limit:day:' || v_lim_day[v_a];
      v_left_at[i] := v_spent_day[v_a];
      v_refused := v_refused || p_ids[i];
    ELSIF v_spent_month[v_a] + p_amounts[i] > v_lim_month[v_a] THEN
      v_status[i] := 'spend_limit:month:' || v_lim_month[v_a];
      v_left_at[i] := v_spent_month[v_a];
      v_refused := v_refused || p_ids[i];
    ELSE
      v_status[i] := 'created';
      v_left[v_a] := v_left[v_a] - p_amounts[i];
      v_total[v_a] := v_total[v_a] + p_amounts[i];
      v_spent_day[v_a] := v_spent_day[v_a] + p_amounts[i];
      v_spent_month[v_a] := v_spent_month[v_a] + p_amounts[i];
    END IF;
  END LOOP;

  IF cardinality(v_refused) > 0 THEN
    DELETE FROM ledger_transfers t WHERE t.id = ANY (v_refused);
  END IF;
  INSERT INTO ledger_pending (transfer_id, account_id, amount, expires_at)
  SELECT x.id, x.acc, x.amount, x.expires_at
    FROM unnest(p_ids, p_accounts, p_amounts, p_expires_at, v_status) AS x (id, acc, amount, expires_at, status)
   WHERE x.status = 'created';
  -- The system stripes' row locks, in id order (after the user accounts, as everywhere); then one UPDATE for all.
  PERFORM 1 FROM ledger_accounts l
   WHERE l.id IN (SELECT x.sys FROM unnest(v_sys, v_total) AS x (sys, total) WHERE x.total > 0)
   ORDER BY l.id FOR NO KEY UPDATE;
  UPDATE ledger_accounts l
     SET debits_pending = l.debits_pending + x.debits, credits_pending = l.credits_pending + x.credits
    FROM (SELECT z.id, sum(z.debits) AS debits, sum(z.credits) AS credits
            FROM (SELECT y.acc AS id, y.total AS debits, 0::bigint AS credits FROM unnest(v_acc, v_total) AS y (acc, total) WHERE y.total > 0
                  UNION ALL
                  SELECT y.sys, 0, y.total FROM unnest(v_sys, v_total) AS y (sys, total) WHERE y.total > 0) z
           GROUP BY z.id) x
   WHERE l.id = x.id;
  RETURN QUERY SELECT x.id, x.status, x.left_at FROM unnest(p_ids, v_status, v_left_at) AS x (id, status, left_at);
END $$;
