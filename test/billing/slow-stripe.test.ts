/**
 * No slow outside call inside a transaction that locks an account: while
 * Stripe stalls on the invoice read of a subscription sync that grants
 * upgrade credits, a job submission for the same user still completes. And
 * the app's PostgreSQL sessions carry a lock_timeout and statement_timeout.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDataSource } from "../../src/db/data-source";
import { PERIOD_S } from "../helpers/fake-stripe";
import { type BillingBed, resetClocks, startBillingBed } from "./harness";

let bed: BillingBed;
beforeAll(async () => {
  bed = await startBillingBed({ env: { DB_STATEMENT_TIMEOUT_MS: "20000", DB_LOCK_TIMEOUT_MS: "3000" } });
});
afterAll(async () => {
  await bed?.close();
});

it("a submit for the user completes while the upgrade's sync waits on Stripe", async () => {
  const user = await bed.p.user();
  const r = await bed.p.api(user.key, "POST", "/api/v1/subscriptions", { package_id: "starter" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await bed.send(...bed.stripe.completeCheckout(r.body.session_id));
  const subId = bed.stripe.sessions.get(r.body.session_id)!.subscription as string;
  expect((await bed.balance(user.id)).available).toBe(200);
  const item = bed.stripe.subscriptions.get(subId)!.items.data[0];
  const mid = item.current_period_start + PERIOD_S / 2;
  bed.stripe.now = mid;
  bed.clock.set(new Date(mid * 1000));

  // The upgrade's sync reads the proration invoice from Stripe, which now stalls.
  const release = bed.stripe.stallNext(/^\/v1\/invoices\//);
  const upgrade = bed.p.api(user.key, "POST", "/api/v1/subscriptions", { package_id: "professional" });
  try {
    await expect.poll(() => bed.stripe.stalled, { timeout: 10_000 }).toBe(1);
    const started = Date.now();
    const job = await Promise.race([
      bed.p.api(user.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 2 } }),
      new Promise<null>((res) => setTimeout(() => res(null), 2500)),
    ]);
    expect(job, "the submit waited for the account lock held across the Stripe call").not.toBeNull();
    expect(job!.status, JSON.stringify(job!.body)).toBe(202);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(bed.stripe.stalled).toBe(1); // Stripe was still stalled all along
  } finally {
    release();
  }
  const done = await upgrade;
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  expect(done.body).toMatchObject({ action: "upgraded", subscription: { package: { code: "professional" }, credits_granted_this_period: 400 } });
  resetClocks(bed);
}, 30_000);

it("the app's sessions have statement_timeout and lock_timeout; a data source without them (migrations, ledger check) has none", async () => {
  const rows: { statement_timeout: string; lock_timeout: string }[] = await bed.p.ctx.ds.query(
    `SELECT current_setting('statement_timeout') AS statement_timeout, current_setting('lock_timeout') AS lock_timeout`,
  );
  expect(rows[0]).toEqual({ statement_timeout: "20s", lock_timeout: "3s" });
  const plain = createDataSource({ url: bed.p.db.url, poolSize: 1 });
  await plain.initialize();
  try {
    const p: { statement_timeout: string; lock_timeout: string }[] = await plain.query(
      `SELECT current_setting('statement_timeout') AS statement_timeout, current_setting('lock_timeout') AS lock_timeout`,
    );
    expect(p[0]).toEqual({ statement_timeout: "0", lock_timeout: "0" });
  } finally {
    await plain.destroy();
  }
});
