/**
 * Settling a hold looks it up by its key, whatever the statistics say.
 *
 * The "still pending" test of ledger_settle and ledger_settle_many once read
 * `state = 'pending'`, the predicate of the partial index of pending holds
 * (ledger_pending_expiry_idx). With statistics taken while almost nothing was
 * pending (a quiet hour; the pipeline bench's seeded history) the planner
 * chose to scan every pending hold through that index, filtering for the one
 * to settle: a cost that grows with the backlog of queued jobs, and the
 * pipeline bench's PostgreSQL CPU per job doubled in the runs where it
 * happened. Here: statistics of 2,000 holds with nothing pending, then 300 pending holds,
 * then settlements one by one and in batches, with auto_explain reporting
 * every plan the functions run; none may touch that index.
 */
import { randomUUID } from "node:crypto";
import type { PoolClient } from "pg";
import type { QueryRunner } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { createTestDb, type TestDb } from "../helpers/db";
import { fundedAccount } from "../helpers/ledger";

let db: TestDb;
let qr: QueryRunner;
const plans: string[] = [];

beforeAll(async () => {
  db = await createTestDb();
  qr = db.ds.createQueryRunner();
  await qr.connect();
  const client = (qr as unknown as { databaseConnection: PoolClient }).databaseConnection;
  client.on("notice", (n) => plans.push(n.message ?? ""));
});
afterAll(async () => {
  await qr?.release();
  await db?.close();
});

describe("settlement plans", () => {
  it("look the hold up by its key even when the statistics say nothing is pending", async () => {
    const m = db.ds.manager;
    const { accountId } = await fundedAccount(m, 1_000_000);
    // A history with nothing left pending, analysed; then a backlog the statistics do not know about.
    // (Large enough that reading the whole table is not the planner's cheapest way to one row.)
    for (let i = 0; i < 4; i++) {
      const old = Array.from({ length: 500 }, () => randomUUID());
      await ledger.holdEach(m, { accountId, creditType: "standard", holds: old.map((id) => ({ id, amount: 2 })) });
      await ledger.settleMany(m, old.map((pendingId) => ({ id: randomUUID(), pendingId, amount: 1, releaseType: "release", voidState: "voided", description: null })));
    }
    await m.query(`ALTER TABLE ledger_pending SET (autovacuum_enabled = false)`);
    await m.query(`ANALYZE ledger_pending`);
    await m.query(`ANALYZE ledger_transfers`);
    const backlog = Array.from({ length: 300 }, () => randomUUID());
    await ledger.holdEach(m, { accountId, creditType: "standard", holds: backlog.map((id) => ({ id, amount: 2 })) });

    await qr.query(`LOAD 'auto_explain'`);
    await qr.query(`SET auto_explain.log_min_duration = 0`);
    await qr.query(`SET auto_explain.log_nested_statements = on`);
    await qr.query(`SET auto_explain.log_level = notice`);
    await qr.query(`SET client_min_messages = notice`);

    // More than five calls of each, so the functions' cached generic plans are in use too.
    for (const pendingId of backlog.slice(0, 8)) await ledger.post(qr.manager, { id: randomUUID(), pendingId, amount: 1 });
    for (let i = 0; i < 8; i++) {
      const batch = backlog.slice(8 + i * 10, 18 + i * 10);
      const out = await ledger.settleMany(qr.manager, batch.map((pendingId) => ({
        id: randomUUID(), pendingId, amount: 1, releaseType: "release", voidState: "voided", description: null,
      })));
      expect(out.map((o) => o.status)).toEqual(batch.map(() => "created"));
    }

    // The plans of the UPDATEs that resolve holds (from their plan's top node on: the query text before it is not the plan).
    const settling = plans.filter((p) => p.includes("Update on ledger_pending")).map((p) => p.slice(p.indexOf("Update on ledger_pending")));
    expect(settling.length).toBeGreaterThanOrEqual(16);
    expect(settling.filter((p) => p.includes("ledger_pending_expiry_idx"))).toEqual([]);
    expect(settling.filter((p) => !p.includes("ledger_pending_pkey"))).toEqual([]);
  });
});
