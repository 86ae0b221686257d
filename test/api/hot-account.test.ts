/**
 * One hot account over HTTP: 300 concurrent submissions against a balance
 * of 100 admit exactly 100. Admission is one conditional UPDATE in the
 * database, so no interleaving of requests can overdraw or double-count.
 */
import { afterAll, beforeAll, expect, it, onTestFinished } from "vitest";
import { checkLedger } from "../../src/ledger";
import { startJobWorker } from "../../src/workers/job-runner";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { expectError, ledgerState } from "./support";

let p: Platform;
beforeAll(async () => {
  // No worker during the burst: a job that finished early would release credits
  // and admit more than 100. The worker starts once every request is answered.
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { RATE_LIMIT_PER_MINUTE: "0", WORKER_CONCURRENCY: "20" } });
});
afterAll(async () => {
  await p?.close();
});

it("balance 100, 300 concurrent 1-credit submissions: exactly 100 accepted, 200 refused with 402", async () => {
  const u = await p.user({ credits: 100 });
  // Half the jobs use their credit, half use nothing: settlement has both a charge and a full release to get right.
  const replies = await Promise.all(
    Array.from({ length: 300 }, (_, i) => p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 1, use: i % 2 } })),
  );
  const accepted = replies.filter((r) => r.status === 202);
  const refused = replies.filter((r) => r.status !== 202);
  expect(accepted).toHaveLength(100);
  expect(refused).toHaveLength(200);
  for (const r of refused) expectError(r, 402, "insufficient_credits");
  expect(new Set(accepted.map((r) => r.body.id)).size).toBe(100);
  expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 100, pending_holds: 100, held: 100, posted: 100 });

  const worker = startJobWorker(p.ctx);
  onTestFinished(() => worker.close(5000));

  const jobs = await waitFor(async () => {
    const rows: { status: string; charged: number; refunded: number }[] = await p.ctx.ds.query(
      `SELECT status, credits_charged::int AS charged, credits_refunded::int AS refunded FROM jobs WHERE user_id = $1`, [u.id],
    );
    return rows.length === 100 && rows.every((r) => r.status === "succeeded") ? rows : null;
  }, { what: "all 100 jobs to succeed", timeoutMs: 60_000 });
  const charged = jobs.reduce((s, j) => s + j.charged, 0);
  expect(jobs.every((j) => j.charged + j.refunded === 1)).toBe(true);
  expect(charged).toBeGreaterThan(0);
  expect(charged).toBeLessThan(100);

  const bal = await p.api(u.key, "GET", "/api/v1/credits/balance");
  expect(bal.body).toMatchObject({ available: 100 - charged, held: 0, posted: 100 - charged });
  expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 100, pending_holds: 0, hold_transfers: 100, held: 0 });
  const report = await checkLedger(p.ctx.ds.manager);
  expect(report.problems).toEqual([]);
});
