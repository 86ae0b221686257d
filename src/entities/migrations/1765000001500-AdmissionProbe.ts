import type { MigrationInterface, QueryRunner } from "typeorm";
import { applySqlFiles } from "../../db/sql-files";

/**
 * ledger_hold and ledger_hold_many call ledger_admission_refusal only for an
 * account with a spend limit or a lot past its expiry (one index probe
 * decides), not on every hold: the same answers, 4 % fewer instructions per
 * hold + post pair (`npm run bench:ledger:instructions`).
 */
export class AdmissionProbe1765000001500 implements MigrationInterface {
  name = "AdmissionProbe1765000001500";

  async up(q: QueryRunner): Promise<void> {
    await applySqlFiles(q, ["ledger_hold", "ledger_hold_many"]);
  }

  async down(): Promise<void> {} // the files are the only bodies there are
}
