import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * ledger_settle_many: many pending transfers, of any accounts, resolved in
 * one call — each exactly as ledger_settle resolves it. The worker batches
 * job endings that arrive while an earlier batch is being written.
 *
 * Deadlock freedom: every ledger function takes its row locks in one global
 * order — a hold's pending row (ledger_settle updates it first), then user
 * accounts, then system accounts (lots only under their user account's
 * lock). A batch touches several of each, so it takes all its row locks
 * first, in that order and by id within each kind, and only then resolves
 * the holds one by one (re-locking a row it holds is free).
 */
export class BatchedSettlements1764000000600 implements MigrationInterface {
  name = "BatchedSettlements1764000000600";

  async up(q: QueryRunner): Promise<void> {
    await q.query(SETTLE_MANY);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ledger_settle_many`);
  }
}

export const SETTLE_MANY = String.raw`
CREATE FUNCTION ledger_settle_many(p_ids uuid[], p_pendings uuid[], p_amounts bigint[], p_release_types text[],
                                   p_void_states text[], p_descriptions text[])
RETURNS TABLE (pending_id uuid, status text, posted bigint, released bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_n integer := coalesce(cardinality(p_ids), 0);
BEGIN
  IF v_n <> coalesce(cardinality(p_pendings), 0) OR v_n <> coalesce(cardinality(p_amounts), 0)
     OR v_n <> coalesce(cardinality(p_release_types), 0) OR v_n <> coalesce(cardinality(p_void_states), 0)
     OR v_n <> coalesce(cardinality(p_descriptions), 0) THEN
    RAISE EXCEPTION 'settle_many needs equally long arrays' USING ERRCODE = '22023';
  END IF;
  IF v_n = 0 THEN RETURN; END IF;
  IF (SELECT count(DISTINCT x) FROM unnest(p_pendings) x) <> v_n THEN
    RAISE EXCEPTION 'settle_many resolves each pending transfer once per call' USING ERRCODE = '22023';
  END IF;
  -- One hold needs no locks up front: ledger_settle's own order is the global one.
  IF v_n = 1 THEN
    RETURN QUERY SELECT p_pendings[1], s.status, s.posted, s.released
      FROM ledger_settle(p_ids[1], p_pendings[1], p_amounts[1], p_release_types[1], p_void_states[1], p_descriptions[1]) AS s;
    RETURN;
  END IF;
  PERFORM 1 FROM ledger_pending p WHERE p.transfer_id = ANY (p_pendings) ORDER BY p.transfer_id FOR NO KEY UPDATE;
  PERFORM 1 FROM ledger_accounts a
   WHERE a.id IN (SELECT t.debit_account_id FROM ledger_transfers t WHERE t.id = ANY (p_pendings))
   ORDER BY a.id FOR UPDATE;
  PERFORM 1 FROM ledger_accounts a
   WHERE a.id IN (SELECT t.credit_account_id FROM ledger_transfers t WHERE t.id = ANY (p_pendings))
   ORDER BY a.id FOR UPDATE;
  RETURN QUERY
    SELECT x.pending, s.status, s.posted, s.released
      FROM unnest(p_ids, p_pendings, p_amounts, p_release_types, p_void_states, p_descriptions) WITH ORDINALITY
           AS x (id, pending, amount, release_type, void_state, description, ord)
     CROSS JOIN LATERAL ledger_settle(x.id, x.pending, x.amount, x.release_type, x.void_state, x.description) AS s
     ORDER BY x.ord;
END $$;
`;
