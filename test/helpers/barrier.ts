/**
 * Make concurrent calls really overlap: hold a row lock, start the calls,
 * wait until every one of them is queued behind it in PostgreSQL, release.
 */
import type { DataSource } from "typeorm";

export async function waitForLockWaiters(ds: DataSource, n: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ waiting }] = (await ds.query(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    )) as [{ waiting: number }];
    if (waiting >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${waiting} of ${n} calls ended up waiting on the barrier lock`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lock a row (lockSql), start `calls`, wait until all are blocked behind it, release, collect. */
export async function behindLock<T>(ds: DataSource, lockSql: string, params: unknown[], calls: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  const blocker = ds.createQueryRunner();
  await blocker.connect();
  try {
    await blocker.startTransaction();
    await blocker.query(lockSql, params);
    const settled = Promise.allSettled(calls.map((c) => c()));
    await waitForLockWaiters(ds, calls.length);
    await blocker.commitTransaction();
    return await settled;
  } finally {
    if (blocker.isTransactionActive) await blocker.rollbackTransaction();
    await blocker.release();
  }
}
