import { DataSource } from "typeorm";
import { entities, migrations } from "../entities";

export interface DataSourceOptions {
  url: string;
  /** Max pooled connections in this process (default 20). */
  poolSize?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /**
   * Session limits of every pooled connection, in ms (PostgreSQL's
   * statement_timeout and lock_timeout; unset or 0 = none). The app's
   * processes set them from DB_STATEMENT_TIMEOUT_MS / DB_LOCK_TIMEOUT_MS;
   * migrations, `npm run ledger:check` and the benchmarks run without them
   * (long by nature), on data sources of their own.
   */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
}

/**
 * Schema changes only ever come from migrations (`synchronize` stays off,
 * tests included): what tests run is what production runs.
 */
export function createDataSource(opts: DataSourceOptions): DataSource {
  return new DataSource({
    type: "postgres",
    url: opts.url,
    entities,
    migrations,
    migrationsTableName: "typeorm_migrations",
    synchronize: false,
    migrationsRun: false,
    // Errors reach callers as exceptions and are logged there (pino); no SQL echo on stdout.
    logging: false,
    poolSize: opts.poolSize ?? 20,
    applicationName: opts.applicationName ?? "holdfast",
    extra: {
      max: opts.poolSize ?? 20,
      idleTimeoutMillis: 30_000,
      // Sent at connection start-up (no extra round trip); pg omits a setting that is false.
      statement_timeout: opts.statementTimeoutMs || false,
      lock_timeout: opts.lockTimeoutMs || false,
    },
  });
}

/** Connect and apply pending migrations; returns the initialised data source. */
export async function connectAndMigrate(opts: DataSourceOptions): Promise<DataSource> {
  const ds = createDataSource(opts);
  await ds.initialize();
  await ds.runMigrations({ transaction: "each" });
  return ds;
}
