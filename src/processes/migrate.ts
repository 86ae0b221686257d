/**
 * Every process applies pending migrations on start, so `npm run start:api`
 * works on an empty database. PM2 starts several processes at once: a
 * session advisory lock makes them take turns, and the ones that come second
 * find nothing left to do.
 */
import type { DataSource } from "typeorm";
import { createDataSource } from "../db/data-source";
import { sql } from "../db/sql";
import type { Logger } from "../logger";

/** Arbitrary constant shared by every Holdfast process: "holdfast:migrate". */
const MIGRATION_LOCK = 0x486f6c64;

export async function migrateUnderLock(ds: DataSource, logger?: Logger): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await sql(runner.manager, `SELECT pg_advisory_lock($1)`, [MIGRATION_LOCK]);
    try {
      // runMigrations uses its own connection; the lock is held on `runner`'s session.
      const applied = await ds.runMigrations({ transaction: "each" });
      if (applied.length > 0) logger?.info({ migrations: applied.map((m) => m.name) }, "applied migrations");
      return applied.map((m) => m.name);
    } finally {
      await sql(runner.manager, `SELECT pg_advisory_unlock($1)`, [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * Migrate on a data source of its own: the app's sessions carry a
 * statement_timeout and lock_timeout (DB_STATEMENT_TIMEOUT_MS,
 * DB_LOCK_TIMEOUT_MS) that a long migration must not be cut off by.
 */
export async function migrateOnOwnConnection(url: string, logger?: Logger): Promise<string[]> {
  const ds = createDataSource({ url, poolSize: 2, applicationName: "holdfast-migrate" });
  await ds.initialize();
  try {
    return await migrateUnderLock(ds, logger);
  } finally {
    await ds.destroy();
  }
}
