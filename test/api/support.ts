/** Assertions and database peeks shared by the API tests. */
import { expect } from "vitest";
import type { Platform } from "../helpers/platform";

type Reply = Awaited<ReturnType<Platform["api"]>>;

/** A stack frame ("at fn (file.ts:1:2)") or a source path must never reach a client. */
const STACKY = /\bat .+:\d+:\d+|node_modules|\/src\/|\.ts:\d+/;

/** The reply is API.md's error envelope with this status and code, and leaks no stack trace. */
export function expectError(r: Reply, status: number, code: string): void {
  expect({ status: r.status, code: r.body?.error?.code }, JSON.stringify(r.body)).toEqual({ status, code });
  expect(typeof r.body.error.message).toBe("string");
  expect(r.body.error.message.length).toBeGreaterThan(0);
  expect(r.body.error.details).toBeTypeOf("object");
  expect(JSON.stringify(r.body)).not.toMatch(STACKY);
}

/** Field paths named in details.issues. */
export function issuePaths(r: Reply): string[] {
  return (r.body.error.details.issues ?? []).map((i: { path: string }) => i.path);
}

/** What the database holds for a user: jobs, pending holds and the balance columns. */
export async function ledgerState(p: Platform, userId: string) {
  const [row] = await p.ctx.ds.query(
    `SELECT (SELECT count(*)::int FROM jobs WHERE user_id = $1) AS jobs,
            (SELECT count(*)::int FROM ledger_pending lp JOIN ledger_accounts a ON a.id = lp.account_id
              WHERE a.user_id = $1 AND lp.state = 'pending') AS pending_holds,
            (SELECT count(*)::int FROM ledger_transfers WHERE user_id = $1 AND type = 'hold') AS hold_transfers,
            (SELECT coalesce(sum(credits_posted - debits_posted), 0)::int FROM ledger_accounts WHERE user_id = $1) AS posted,
            (SELECT coalesce(sum(debits_pending), 0)::int FROM ledger_accounts WHERE user_id = $1) AS held`,
    [userId],
  );
  return row as { jobs: number; pending_holds: number; hold_transfers: number; posted: number; held: number };
}
