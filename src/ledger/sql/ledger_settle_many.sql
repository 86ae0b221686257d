-- Many pending transfers, of any accounts, resolved in one call — each
-- exactly as ledger_settle resolves it. The worker batches job endings that
-- arrive while an earlier batch is being written.
--
-- Set-based: one statement per step — the pending rows, the transfer rows,
-- the accounts (one UPDATE for user and system accounts together), the lots —
-- rather than ledger_settle once per hold, so a batch costs a fixed number of
-- statements. Each hold still ends exactly as ledger_settle would end it on
-- its own: the same rows, the same lot burns (an account whose first lot does
-- not cover the batch's charges burns item by item with ledger_burn_lots, in
-- the batch's order), the same answers for holds it does not resolve
-- (ledger_settle_refusal). A batch whose ids collide — one settlement id used
-- twice, or as another's release id — could see answers depend on the order
-- inside the batch, so it takes the slow path: ledger_settle per hold, in order.
--
-- Deadlock freedom: every ledger function takes its row locks in one global
-- order — a hold's pending row, then user accounts, then system accounts
-- (lots only under their user account's lock). A batch touches several of
-- each, so it takes them in that order and by id within each kind.
CREATE OR REPLACE FUNCTION ledger_settle_many(p_ids uuid[], p_pendings uuid[], p_amounts bigint[], p_release_types text[],
                                   p_void_states text[], p_descriptions text[])
RETURNS TABLE (pending_id uuid, status text, posted bigint, released bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_n integer := coalesce(cardinality(p_ids), 0);
  v_once boolean;
  v_valid boolean;
  v_distinct_ids boolean;
  -- The holds this call resolves, by their position in the batch.
  v_won bigint[];
  v_held bigint[];
  v_debit uuid[];
  v_credit uuid[];
  v_ct text[];
  v_user uuid[];
  v_job uuid[];
  -- Answers for the holds it does not resolve, by position.
  v_refused_status text[];
  v_refused_posted bigint[];
  v_refused_released bigint[];
  v_want bigint;
  v_rows bigint;
  v_burnt uuid[];
  v_since timestamptz[];
  r record;
  i integer;
BEGIN
  IF v_n <> coalesce(cardinality(p_pendings), 0) OR v_n <> coalesce(cardinality(p_amounts), 0)
     OR v_n <> coalesce(cardinality(p_release_types), 0) OR v_n <> coalesce(cardinality(p_void_states), 0)
     OR v_n <> coalesce(cardinality(p_descriptions), 0) THEN
    RAISE EXCEPTION 'settle_many needs equally long arrays' USING ERRCODE = '22023';
  END IF;
  IF v_n = 0 THEN RETURN; END IF;
  -- One hold needs no locks up front: ledger_settle's own order is the global one.
  IF v_n = 1 THEN
    RETURN QUERY SELECT p_pendings[1], s.status, s.posted, s.released
      FROM ledger_settle(p_ids[1], p_pendings[1], p_amounts[1], p_release_types[1], p_void_states[1], p_descriptions[1]) AS s;
    RETURN;
  END IF;

  SELECT count(DISTINCT x.pending) = v_n,
         coalesce(bool_and(coalesce(x.amount >= 0 AND x.release_type IN ('release', 'refund') AND x.void_state IN ('voided', 'expired'), false)), false),
         count(DISTINCT x.id) = v_n AND NOT EXISTS (SELECT 1 FROM unnest(p_ids) y WHERE md5(y::text || ':release')::uuid = ANY (p_ids))
    INTO v_once, v_valid, v_distinct_ids
    FROM unnest(p_ids, p_pendings, p_amounts, p_release_types, p_void_states) AS x (id, pending, amount, release_type, void_state);
  IF NOT v_once THEN
    RAISE EXCEPTION 'settle_many resolves each pending transfer once per call' USING ERRCODE = '22023';
  END IF;
  IF NOT v_valid THEN
    RAISE EXCEPTION 'settle_many: every amount must be a non-negative integer, every release type release or refund, every void state voided or expired'
      USING ERRCODE = '22023';
  END IF;

  -- Lock order, step 1: the pending rows, by id.
  PERFORM 1 FROM ledger_pending p WHERE p.transfer_id = ANY (p_pendings) ORDER BY p.transfer_id FOR NO KEY UPDATE;

  IF NOT v_distinct_ids THEN
    -- Colliding ids: what one item answers may depend on what an earlier one wrote. One by one, in order
    -- (then the accounts by id, so the per-hold calls below only re-take locks this call holds).
    PERFORM 1 FROM ledger_accounts a
     WHERE a.id IN (SELECT t.debit_account_id FROM ledger_transfers t WHERE t.id = ANY (p_pendings)
                    UNION SELECT t.credit_account_id FROM ledger_transfers t WHERE t.id = ANY (p_pendings))
     ORDER BY a.kind = 'system', a.id FOR NO KEY UPDATE;
    RETURN QUERY
      SELECT x.pending, s.status, s.posted, s.released
        FROM unnest(p_ids, p_pendings, p_amounts, p_release_types, p_void_states, p_descriptions) WITH ORDINALITY
             AS x (id, pending, amount, release_type, void_state, description, ord)
       CROSS JOIN LATERAL ledger_settle(x.id, x.pending, x.amount, x.release_type, x.void_state, x.description) AS s
       ORDER BY x.ord;
    RETURN;
  END IF;

  -- The race between post, void and expire is decided here, as in ledger_settle: a hold is resolved only if still pending.
  WITH x AS (
    SELECT * FROM unnest(p_pendings, p_ids, p_amounts, p_void_states) WITH ORDINALITY AS x (pending, id, amount, void_state, ord)
  ), u AS (
    UPDATE ledger_pending p
       SET state = CASE WHEN x.amount > 0 THEN 'posted' ELSE x.void_state END,
           posted_amount = x.amount, resolved_by = x.id, resolved_at = now()
      FROM x, ledger_transfers t
     -- Each hold is looked up by its key, whatever the statistics say: transfer_id = ANY is an index
     -- condition on the primary key, and resolved_at IS NULL is state = 'pending' (the CHECK
     -- ledger_pending_consistent) without being the predicate of the partial index
     -- ledger_pending_expiry_idx. Written as a join to x and state = 'pending', with statistics
     -- taken while few holds were pending (a quiet hour, a bench's seeding) the planner scanned every
     -- pending hold for each batch: 12-16 ms a batch instead of 2 under a backlog of queued jobs.
     WHERE p.transfer_id = ANY (p_pendings) AND p.transfer_id = x.pending AND p.resolved_at IS NULL
       AND p.amount >= x.amount AND t.id = x.pending
    RETURNING x.ord, x.amount, p.amount AS held, t.debit_account_id, t.credit_account_id, t.credit_type, t.user_id, t.job_id,
              t.created_at AS since
  )
  SELECT array_agg(u.ord ORDER BY u.ord), array_agg(u.held ORDER BY u.ord), array_agg(u.debit_account_id ORDER BY u.ord),
         array_agg(u.credit_account_id ORDER BY u.ord), array_agg(u.credit_type ORDER BY u.ord),
         array_agg(u.user_id ORDER BY u.ord), array_agg(u.job_id ORDER BY u.ord), array_agg(u.since ORDER BY u.ord),
         -- The transfer rows they will write: a charge if anything is captured, a release if anything is left.
         coalesce(sum((u.amount > 0)::int + (u.held > u.amount)::int), 0)
    INTO v_won, v_held, v_debit, v_credit, v_ct, v_user, v_job, v_since, v_want FROM u;
  v_won := coalesce(v_won, '{}');

  IF cardinality(v_won) < v_n THEN
    FOR i IN 1..v_n LOOP
      CONTINUE WHEN i = ANY (v_won);
      SELECT * INTO r FROM ledger_settle_refusal(p_ids[i], p_pendings[i], p_amounts[i], p_void_states[i]);
      v_refused_status[i] := r.status; v_refused_posted[i] := r.posted; v_refused_released[i] := r.released;
    END LOOP;
  END IF;

  IF cardinality(v_won) > 0 THEN
    -- The charge and the released remainder of each resolved hold, in id order (as every batch writes its ids).
    INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, pending_id, user_id, job_id, description)
    SELECT tr.id, tr.kind, tr.type, w.debit, w.credit, tr.amount, w.ct, p_pendings[w.ord], w.usr, w.job, p_descriptions[w.ord]
      FROM unnest(v_won, v_held, v_debit, v_credit, v_ct, v_user, v_job) AS w (ord, held, debit, credit, ct, usr, job)
     CROSS JOIN LATERAL (VALUES (p_ids[w.ord], 'post', 'charge', p_amounts[w.ord]),
                                (CASE WHEN p_amounts[w.ord] > 0 THEN md5(p_ids[w.ord]::text || ':release')::uuid ELSE p_ids[w.ord] END,
                                 'void', p_release_types[w.ord], w.held - p_amounts[w.ord])) AS tr (id, kind, type, amount)
     WHERE tr.amount > 0
     ORDER BY tr.id
    ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    IF v_rows <> v_want THEN
      -- A settlement id already names another transfer: the exception undoes this whole call.
      RAISE EXCEPTION 'a transfer id in this batch is already used for something else' USING ERRCODE = 'HF409';
    END IF;

    -- Lock order, steps 2 and 3: the user accounts, then the system accounts, each by id; then one UPDATE for all.
    PERFORM 1 FROM ledger_accounts a WHERE a.id = ANY (v_debit || v_credit) ORDER BY a.kind = 'system', a.id FOR NO KEY UPDATE;
    UPDATE ledger_accounts a
       SET debits_pending = a.debits_pending - d.debits_pending, debits_posted = a.debits_posted + d.debits_posted,
           credits_pending = a.credits_pending - d.credits_pending, credits_posted = a.credits_posted + d.credits_posted
      FROM (SELECT z.id, sum(z.dpend) AS debits_pending, sum(z.dpost) AS debits_posted,
                   sum(z.cpend) AS credits_pending, sum(z.cpost) AS credits_posted
              FROM (SELECT w.debit AS id, w.held AS dpend, p_amounts[w.ord] AS dpost, 0::bigint AS cpend, 0::bigint AS cpost
                      FROM unnest(v_won, v_held, v_debit) AS w (ord, held, debit)
                    UNION ALL
                    SELECT w.credit, 0, 0, w.held, p_amounts[w.ord]
                      FROM unnest(v_won, v_held, v_credit) AS w (ord, held, credit)) z
             GROUP BY z.id) d
     WHERE a.id = d.id;

    -- Lots, under their user account's lock. Fast path: an account's first lot covers all the batch charges to it.
    -- The order is ledger_burn_lots's for a capture, taken for the account's latest hold in the batch (a lot
    -- expired before that hold was placed comes last for all of them).
    WITH c AS (
      SELECT w.debit AS acc, sum(p_amounts[w.ord]) AS total, max(w.since) AS since
        FROM unnest(v_won, v_debit, v_since) AS w (ord, debit, since) WHERE p_amounts[w.ord] > 0 GROUP BY w.debit
    ), f AS (
      SELECT c.acc, c.total,
             (SELECT l.id FROM ledger_lots l WHERE l.account_id = c.acc AND l.remaining > 0
               ORDER BY (l.expires_at IS NOT NULL AND l.expires_at <= now() AND l.expires_at > c.since) DESC,
                        (l.expires_at IS NOT NULL AND l.expires_at <= c.since), l.priority, l.expires_at NULLS LAST, l.created_at, l.id
               LIMIT 1 FOR UPDATE) AS lot
        FROM c
    ), b AS (
      UPDATE ledger_lots l SET remaining = l.remaining - f.total FROM f
       WHERE l.id = f.lot AND l.remaining >= f.total
      RETURNING f.acc, l.id AS lot
    ), ins AS (
      INSERT INTO ledger_lot_consumptions (transfer_id, lot_id, amount)
      SELECT p_ids[w.ord], b.lot, p_amounts[w.ord]
        FROM unnest(v_won, v_debit) AS w (ord, debit) JOIN b ON b.acc = w.debit
       WHERE p_amounts[w.ord] > 0
    )
    SELECT coalesce(array_agg(b.acc), '{}') INTO v_burnt FROM b;
    -- The rest burn charge by charge, in the batch's order, as one ledger_settle after another would.
    FOR r IN SELECT w.ord, w.debit, w.since FROM unnest(v_won, v_debit, v_since) AS w (ord, debit, since)
              WHERE p_amounts[w.ord] > 0 AND w.debit <> ALL (v_burnt) ORDER BY w.ord LOOP
      PERFORM ledger_burn_lots(p_ids[r.ord], r.debit, p_amounts[r.ord], r.since);
    END LOOP;
  END IF;

  RETURN QUERY
    SELECT x.pending,
           CASE WHEN w.ord IS NULL THEN v_refused_status[x.ord] ELSE 'created' END,
           CASE WHEN w.ord IS NULL THEN v_refused_posted[x.ord] ELSE x.amount END,
           CASE WHEN w.ord IS NULL THEN v_refused_released[x.ord] ELSE w.held - x.amount END
      FROM unnest(p_pendings, p_amounts) WITH ORDINALITY AS x (pending, amount, ord)
      LEFT JOIN unnest(v_won, v_held) AS w (ord, held) ON w.ord = x.ord
     ORDER BY x.ord;
END $$;
