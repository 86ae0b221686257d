import type { MigrationInterface, QueryRunner } from "typeorm";
import { applySqlFiles } from "../../db/sql-files";

/**
 * A capture burns lots that had already expired when its hold was placed
 * last, not first (issue 13: expired lots were spendable until the expiry
 * task ran). ledger_burn_lots takes the hold's time as a new argument, so
 * the old three-argument function is dropped first.
 */
export class BurnOrder1765000001200 implements MigrationInterface {
  name = "BurnOrder1765000001200";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS ledger_burn_lots(uuid, uuid, bigint)`);
    await applySqlFiles(q, ["ledger_burn_lots", "ledger_settle", "ledger_settle_many"]);
  }

  async down(): Promise<void> {} // the files are the only bodies there are
}
