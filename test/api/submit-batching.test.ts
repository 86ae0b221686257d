/**
 * Submissions without an Idempotency-Key are batched across users: requests
 * that arrive while a batch is being written go to the database together in
 * ONE statement (ledger_hold_each_many), each admitted or refused on its own
 * against its own user's account. Over HTTP, with several users firing at
 * once: each user gets exactly their balance accepted and the rest 402, a
 * paused user (paused in the database while this process still has the key
 * cached as active, so only the batched statement can tell) gets 403 for
 * every request and holds nothing, and nobody is affected by anybody else.
 */
import { afterAll, beforeAll, expect, it, onTestFinished } from "vitest";
import { checkLedger } from "../../src/ledger";
import { startJobWorker } from "../../src/workers/job-runner";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { expectError, ledgerState } from "./support";

let p: Platform;
beforeAll(async () => {
  // No worker during the bursts (a finished job would free credits and admit more);
  // keys stay cached for the whole file, so a pause made in the database is not seen at authentication.
  p = await startPlatform({
    kinds: testKinds(), worker: false,
    env: { RATE_LIMIT_PER_MINUTE: "0", WORKER_CONCURRENCY: "20", AUTH_CACHE_TTL_MS: "600000" },
  });
});
afterAll(async () => {
  await p?.close();
});

type Reply = Awaited<ReturnType<Platform["api"]>>;

/** Fire every request at once, round-robin over the users so their requests interleave. */
async function burst(users: { key: string }[], perUser: number, body: (u: number, i: number) => unknown): Promise<Reply[][]> {
  const calls: { u: number; p: Promise<Reply> }[] = [];
  for (let i = 0; i < perUser; i++) {
    users.forEach((user, u) => calls.push({ u, p: p.api(user.key, "POST", "/api/v1/jobs", body(u, i)) }));
  }
  const replies = await Promise.all(calls.map((c) => c.p));
  return users.map((_, u) => replies.filter((_r, k) => calls[k]!.u === u));
}

async function waitForJobs(userId: string, n: number) {
  return waitFor(async () => {
    const rows: { status: string; charged: number; refunded: number; estimated: number }[] = await p.ctx.ds.query(
      `SELECT status, credits_charged::int AS charged, credits_refunded::int AS refunded, credits_estimated::int AS estimated
         FROM jobs WHERE user_id = $1`,
      [userId],
    );
    return rows.length === n && rows.every((r) => r.status === "succeeded") ? rows : null;
  }, { what: `${n} jobs of ${userId} to succeed`, timeoutMs: 60_000 });
}

it("users with 10, 25 and 40 credits and a paused one, 60 one-credit submissions each at once: exactly each balance accepted", async () => {
  const BALANCES = [10, 25, 40];
  const PER_USER = 60;
  const active: { id: string; key: string }[] = [];
  for (const credits of BALANCES) active.push(await p.user({ credits }));
  const paused = await p.user({ credits: 30 });
  // The key is cached as active, then the user is paused by "another process".
  expect((await p.api(paused.key, "GET", "/api/v1/credits/balance")).body).toMatchObject({ status: "active", available: 30 });
  await p.ctx.ds.query(`UPDATE users SET credit_status = 'paused' WHERE id = $1`, [paused.id]);

  const all = [...active, paused];
  const replies = await burst(all, PER_USER, (_u, i) => ({ kind: "test", input: { cost: 1, use: i % 2 } }));

  BALANCES.forEach((balance, u) => {
    const mine = replies[u]!;
    const accepted = mine.filter((r) => r.status === 202);
    const refused = mine.filter((r) => r.status !== 202);
    expect(accepted, `user ${u} (balance ${balance})`).toHaveLength(balance);
    expect(refused).toHaveLength(PER_USER - balance);
    for (const r of refused) {
      expectError(r, 402, "insufficient_credits");
      expect(r.body.error.details).toEqual({ required: 1, available: 0, credit_type: "standard" });
    }
    for (const r of accepted) {
      expect(r.body).toMatchObject({ kind: "test", status: "queued", credits: { estimated: 1, held: 1, charged: 0, refunded: 0 } });
    }
    expect(new Set(accepted.map((r) => r.body.id)).size).toBe(balance);
  });
  for (const r of replies[3]!) expectError(r, 403, "account_paused");
  // Authentication still sees the paused user as active (cached): the refusals came from the batched statement.
  expect((await p.api(paused.key, "GET", "/api/v1/credits/balance")).body).toMatchObject({ status: "active" });

  // Each accepted job is its user's, with its hold on its user's account.
  for (let u = 0; u < BALANCES.length; u++) {
    const ids = replies[u]!.filter((r) => r.status === 202).map((r) => r.body.id as string);
    const rows: { user_id: string; debit_user: string }[] = await p.ctx.ds.query(
      `SELECT j.user_id, a.user_id AS debit_user FROM jobs j
         JOIN ledger_transfers t ON t.id = j.hold_transfer_id JOIN ledger_accounts a ON a.id = t.debit_account_id
        WHERE j.id = ANY ($1::uuid[])`,
      [ids],
    );
    expect(rows).toHaveLength(ids.length);
    expect(rows.every((r) => r.user_id === active[u]!.id && r.debit_user === active[u]!.id)).toBe(true);
    expect(await ledgerState(p, active[u]!.id)).toMatchObject({
      jobs: BALANCES[u], pending_holds: BALANCES[u], hold_transfers: BALANCES[u], held: BALANCES[u], posted: BALANCES[u],
    });
  }
  expect(await ledgerState(p, paused.id)).toEqual({ jobs: 0, pending_holds: 0, hold_transfers: 0, held: 0, posted: 30 });
  // The submissions really were batched across users: job rows of several users written by one statement (one xmin).
  const [mixed] = (await p.ctx.ds.query(
    `SELECT max(n)::int AS users FROM (SELECT count(DISTINCT user_id) AS n FROM jobs WHERE user_id = ANY ($1::uuid[]) GROUP BY xmin::text) x`,
    [active.map((a) => a.id)],
  )) as [{ users: number }];
  expect(mixed.users).toBeGreaterThan(1);

  // Run them all; each user ends with what they had less what their jobs used.
  const worker = startJobWorker(p.ctx);
  onTestFinished(() => worker.close(5000));
  for (let u = 0; u < BALANCES.length; u++) {
    const jobs = await waitForJobs(active[u]!.id, BALANCES[u]!);
    expect(jobs.every((j) => j.charged + j.refunded === 1)).toBe(true);
    const charged = jobs.reduce((s, j) => s + j.charged, 0);
    const bal = await p.api(active[u]!.key, "GET", "/api/v1/credits/balance");
    expect(bal.body).toMatchObject({ available: BALANCES[u]! - charged, held: 0, posted: BALANCES[u]! - charged });
    expect(await ledgerState(p, active[u]!.id)).toMatchObject({ jobs: BALANCES[u], pending_holds: 0, hold_transfers: BALANCES[u], held: 0 });
  }
  expect(await ledgerState(p, paused.id)).toEqual({ jobs: 0, pending_holds: 0, hold_transfers: 0, held: 0, posted: 30 });
  expect((await checkLedger(p.ctx.ds.manager)).problems).toEqual([]);
});

it("mixed costs (1 and 3) from four users at once: no user overdrawn, no refusal that would have fitted, every 402 true", async () => {
  const BALANCES = [7, 20, 33, 50];
  const PER_USER = 40;
  const users: { id: string; key: string }[] = [];
  for (const credits of BALANCES) users.push(await p.user({ credits }));
  const cost = (i: number) => (i % 3 === 0 ? 3 : 1);
  const replies = await burst(users, PER_USER, (_u, i) => ({ kind: "test", input: { cost: cost(i), use: 0 } }));

  for (let u = 0; u < users.length; u++) {
    const mine = replies[u]!;
    const costs = mine.map((_r, i) => cost(i));
    const acceptedCredits = mine.reduce((s, r, i) => s + (r.status === 202 ? costs[i]! : 0), 0);
    const refused = mine.filter((r) => r.status !== 202);
    for (const r of refused) {
      expectError(r, 402, "insufficient_credits");
      const d = r.body.error.details as { required: number; available: number };
      expect(d.available).toBeGreaterThanOrEqual(0);
      expect(d.available).toBeLessThan(d.required);
    }
    // Credit only ever goes down during the burst, so what is left at the end is less than any refused
    // request needed when it was refused: never overdrawn, and never a refusal that would have fitted.
    const left = BALANCES[u]! - acceptedCredits;
    const refusedCosts = costs.filter((_c, i) => mine[i]!.status !== 202);
    expect(refusedCosts.length, `user ${u}`).toBeGreaterThan(0);
    expect(left, `user ${u}`).toBeGreaterThanOrEqual(0);
    expect(left, `user ${u}`).toBeLessThan(Math.min(...refusedCosts));
    expect(await ledgerState(p, users[u]!.id)).toMatchObject({ held: acceptedCredits, posted: BALANCES[u] });
  }

  const worker = startJobWorker(p.ctx);
  onTestFinished(() => worker.close(5000));
  for (let u = 0; u < users.length; u++) {
    const accepted = replies[u]!.filter((r) => r.status === 202).length;
    const jobs = await waitForJobs(users[u]!.id, accepted);
    // `use: 0`: nothing is charged, every hold comes back.
    expect(jobs.every((j) => j.charged === 0 && j.refunded === j.estimated)).toBe(true);
    expect(await ledgerState(p, users[u]!.id)).toMatchObject({ jobs: accepted, pending_holds: 0, held: 0, posted: BALANCES[u] });
  }
  expect((await checkLedger(p.ctx.ds.manager)).problems).toEqual([]);
});
