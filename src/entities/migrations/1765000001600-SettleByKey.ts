import type { MigrationInterface, QueryRunner } from "typeorm";
import { applySqlFiles } from "../../db/sql-files";

/**
 * ledger_settle and ledger_settle_many find the hold to resolve by its key
 * whatever the statistics say: their "still pending" test reads
 * `resolved_at IS NULL` (the same thing, by the CHECK ledger_pending_consistent)
 * instead of `state = 'pending'`, which the planner matched to the partial
 * index of pending holds and, with statistics from a moment when few holds
 * were pending, scanned all of them for every settlement.
 */
export class SettleByKey1765000001600 implements MigrationInterface {
  name = "SettleByKey1765000001600";

  async up(q: QueryRunner): Promise<void> {
    await applySqlFiles(q, ["ledger_settle", "ledger_settle_many"]);
  }

  async down(): Promise<void> {} // the files are the only bodies there are
}
