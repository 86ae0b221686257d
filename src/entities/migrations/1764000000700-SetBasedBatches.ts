import type { MigrationInterface, QueryRunner } from "typeorm";
import { HOLD_EACH_MANY } from "./1764000000500-BatchedHolds";
import { SETTLE_MANY } from "./1764000000600-BatchedSettlements";
import { FAST_FUNCTIONS } from "./1764000000400-LedgerFastPath";

/**
 * Batches in a fixed number of statements. At 500 submissions a second from
 * 32 users (npm run bench) a batch holds a few jobs of different users, and
 * PostgreSQL's CPU went mostly to starting statements: ledger_settle_many ran
 * ledger_settle once per hold (five statements each), and
 * ledger_hold_each_many updated each system stripe in a statement of its own.
 *
 * - ledger_settle_many resolves the whole batch in one statement per step —
 *   the pending rows, the transfer rows, the accounts (one UPDATE for user and
 *   system accounts together), the lots — in the same global lock order as
 *   before: pending rows, then user accounts, then system accounts, each by
 *   id, lots only under their user account's lock. Each hold still ends
 *   exactly as ledger_settle would end it on its own: the same rows, the same
 *   lot burns (an account whose first lot does not cover the batch's charges
 *   burns item by item with ledger_burn_lots, in the batch's order), the same
 *   answers for holds it does not resolve (ledger_settle_refusal, which
 *   ledger_settle now uses too). A batch whose ids collide — one settlement
 *   id used twice, or as another's release id — could see answers depend on
 *   the order inside the batch, so it takes the old path: ledger_settle per
 *   hold, in order.
 * - ledger_hold_each_many checks its input in one statement, skips looking
 *   up earlier transfers when every id was new, and writes the system
 *   stripes in one UPDATE after locking them by id.
 */
export class SetBasedBatches1764000000700 implements MigrationInterface {
  name = "SetBasedBatches1764000000700";

  async up(q: QueryRunner): Promise<void> {
    await q.query(SETTLE_REFUSAL);
    await q.query(SETTLE);
    await q.query(SET_SETTLE_MANY);
    await q.query(SET_HOLD_EACH_MANY);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ledger_settle_many; DROP FUNCTION ledger_hold_each_many;`);
    await q.query(SETTLE_MANY);
    await q.query(HOLD_EACH_MANY);
    await q.query(FAST_FUNCTIONS); // ledger_settle as it was
    await q.query(`DROP FUNCTION ledger_settle_refusal`);
  }
}

const SETTLE_REFUSAL = String.raw`
-- What ledger_settle answers when it does not resolve p_pending: p_id already
-- names a transfer of another hold ('conflict'); no such hold ('not_found');
-- still pending but holding less than p_amount ('exceeds_hold'); resolved by
-- p_id before — 'exists' when asked for the same resolution, else 'conflict';
-- resolved by someone else ('already_<state>', with that resolution's amounts).
CREATE FUNCTION ledger_settle_refusal(p_id uuid, p_pending uuid, p_amount bigint, p_void_state text)
RETURNS TABLE (status text, posted bigint, released bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_p ledger_pending%ROWTYPE;
BEGIN
  IF EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = p_id AND t.pending_id IS DISTINCT FROM p_pending) THEN
    status := 'conflict'; posted := 0; released := 0; RETURN NEXT; RETURN;
  END IF;
  SELECT * INTO v_p FROM ledger_pending p WHERE p.transfer_id = p_pending;
  IF NOT FOUND THEN status := 'not_found'; posted := 0; released := 0; RETURN NEXT; RETURN; END IF;
  posted := v_p.posted_amount; released := v_p.amount - v_p.posted_amount;
  IF v_p.state = 'pending' THEN
    status := 'exceeds_hold'; posted := 0; released := v_p.amount;
  ELSIF v_p.resolved_by = p_id THEN
    -- A replay must ask for the same resolution it got.
    status := CASE WHEN v_p.posted_amount = p_amount AND (p_amount > 0 OR v_p.state = p_void_state) THEN 'exists' ELSE 'conflict' END;
  ELSE
    status := 'already_' || v_p.state;
  END IF;
  RETURN NEXT;
END $$;
`;

// ledger_settle of 1764000000400, its refusals now from ledger_settle_refusal (the same text as before, moved).
const SETTLE = String.raw`
CREATE OR REPLACE FUNCTION ledger_settle(p_id uuid, p_pending uuid, p_amount bigint, p_release_type text,
                              p_void_state text, p_description text)
RETURNS TABLE (status text, posted bigint, released bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_held bigint;
  v_debit uuid;
  v_credit uuid;
  v_ct text;
  v_user uuid;
  v_job uuid;
  v_release bigint;
  v_rows integer;
BEGIN
  IF p_amount IS NULL OR p_amount < 0 THEN
    RAISE EXCEPTION 'post amount must be a non-negative integer, got %', p_amount USING ERRCODE = '22023';
  END IF;
  IF p_release_type NOT IN ('release', 'refund') OR p_void_state NOT IN ('voided', 'expired') THEN
    RAISE EXCEPTION 'bad release type % or void state %', p_release_type, p_void_state USING ERRCODE = '22023';
  END IF;

  UPDATE ledger_pending p
     SET state = CASE WHEN p_amount > 0 THEN 'posted' ELSE p_void_state END,
         posted_amount = p_amount, resolved_by = p_id, resolved_at = now()
    FROM ledger_transfers t
   WHERE p.transfer_id = p_pending AND p.state = 'pending' AND p.amount >= p_amount AND t.id = p_pending
  RETURNING p.amount, t.debit_account_id, t.credit_account_id, t.credit_type, t.user_id, t.job_id
       INTO v_held, v_debit, v_credit, v_ct, v_user, v_job;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM ledger_settle_refusal(p_id, p_pending, p_amount, p_void_state);
    RETURN;
  END IF;

  v_release := v_held - p_amount;
  INSERT INTO ledger_transfers (id, kind, type, debit_account_id, credit_account_id, amount, credit_type, pending_id, user_id, job_id, description)
  SELECT x.id, x.kind, x.type, v_debit, v_credit, x.amount, v_ct, p_pending, v_user, v_job, p_description
    FROM (VALUES (p_id, 'post', 'charge', p_amount),
                 (CASE WHEN p_amount > 0 THEN md5(p_id::text || ':release')::uuid ELSE p_id END, 'void', p_release_type, v_release)) AS x (id, kind, type, amount)
   WHERE x.amount > 0
  ON CONFLICT (id) DO NOTHING;
  GET DIAGNOSTICS v_rows = ROW_COUNT;
  IF v_rows <> (p_amount > 0)::int + (v_release > 0)::int THEN
    -- p_id already names another transfer: the exception undoes this whole call.
    RAISE EXCEPTION 'transfer id % is already used for something else', p_id USING ERRCODE = 'HF409';
  END IF;
  UPDATE ledger_accounts SET debits_pending = debits_pending - v_held, debits_posted = debits_posted + p_amount WHERE id = v_debit;
  UPDATE ledger_accounts SET credits_pending = credits_pending - v_held, credits_posted = credits_posted + p_amount WHERE id = v_credit;
  IF p_amount > 0 THEN
    WITH b AS (
      UPDATE ledger_lots SET remaining = remaining - p_amount
       WHERE id = (SELECT id FROM ledger_lots WHERE account_id = v_debit AND remaining > 0
                    ORDER BY (expires_at IS NOT NULL AND expires_at <= now()) DESC, priority, expires_at NULLS LAST, created_at, id
                    LIMIT 1 FOR UPDATE)
         AND remaining >= p_amount
      RETURNING id)
    INSERT INTO ledger_lot_consumptions (transfer_id, lot_id, amount) SELECT p_id, b.id, p_amount FROM b;
    IF NOT FOUND THEN PERFORM ledger_burn_lots(p_id, v_debit, p_amount); END IF;
  END IF;
  status := 'created'; posted := p_amount; released := v_release; RETURN NEXT;
END $$;
`;

const SET_SETTLE_MANY = String.raw`
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
     WHERE p.transfer_id = x.pending AND p.state = 'pending' AND p.amount >= x.amount AND t.id = x.pending
    RETURNING x.ord, x.amount, p.amount AS held, t.debit_account_id, t.credit_account_id, t.credit_type, t.user_id, t.job_id
  )
  SELECT array_agg(u.ord ORDER BY u.ord), array_agg(u.held ORDER BY u.ord), array_agg(u.debit_account_id ORDER BY u.ord),
         array_agg(u.credit_account_id ORDER BY u.ord), array_agg(u.credit_type ORDER BY u.ord),
         array_agg(u.user_id ORDER BY u.ord), array_agg(u.job_id ORDER BY u.ord),
         -- The transfer rows they will write: a charge if anything is captured, a release if anything is left.
         coalesce(sum((u.amount > 0)::int + (u.held > u.amount)::int), 0)
    INTO v_won, v_held, v_debit, v_credit, v_ct, v_user, v_job, v_want FROM u;
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
    WITH c AS (
      SELECT w.debit AS acc, sum(p_amounts[w.ord]) AS total
        FROM unnest(v_won, v_debit) AS w (ord, debit) WHERE p_amounts[w.ord] > 0 GROUP BY w.debit
    ), f AS (
      SELECT c.acc, c.total,
             (SELECT l.id FROM ledger_lots l WHERE l.account_id = c.acc AND l.remaining > 0
               ORDER BY (l.expires_at IS NOT NULL AND l.expires_at <= now()) DESC, l.priority, l.expires_at NULLS LAST, l.created_at, l.id
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
    FOR r IN SELECT w.ord, w.debit FROM unnest(v_won, v_debit) AS w (ord, debit)
              WHERE p_amounts[w.ord] > 0 AND w.debit <> ALL (v_burnt) ORDER BY w.ord LOOP
      PERFORM ledger_burn_lots(p_ids[r.ord], r.debit, p_amounts[r.ord]);
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
`;

const SET_HOLD_EACH_MANY = String.raw`
-- Each hold is admitted or refused on its own, in the order given, against
-- what its account has available under the account's row lock, exactly as
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
  SELECT array_agg(x.id ORDER BY x.id), array_agg(x.avail ORDER BY x.id) INTO v_locked, v_avail
    FROM (SELECT l.id, l.credits_posted - l.debits_posted - l.debits_pending AS avail
            FROM ledger_accounts l WHERE l.id = ANY (v_acc) AND l.kind = 'user'
           ORDER BY l.id FOR NO KEY UPDATE) x;
  v_left := array_fill(NULL::bigint, ARRAY[cardinality(v_acc)]);
  v_total := array_fill(0::bigint, ARRAY[cardinality(v_acc)]);
  FOR v_a IN 1..coalesce(cardinality(v_locked), 0) LOOP
    v_left[array_position(v_acc, v_locked[v_a])] := v_avail[v_a];
  END LOOP;

  v_left_at := array_fill(NULL::bigint, ARRAY[v_n]);
  FOR i IN 1..v_n LOOP
    CONTINUE WHEN v_status[i] IS NOT NULL;
    v_a := array_position(v_acc, p_accounts[i]);
    IF p_amounts[i] <= v_left[v_a] THEN
      v_status[i] := 'created';
      v_left[v_a] := v_left[v_a] - p_amounts[i];
      v_total[v_a] := v_total[v_a] + p_amounts[i];
    ELSE
      v_status[i] := 'insufficient';
      v_left_at[i] := v_left[v_a];
      v_refused := v_refused || p_ids[i];
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
`;
