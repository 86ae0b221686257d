/**
 * Spend limits (issue 14): set by the user, capped by an admin ceiling,
 * enforced with the hold under the account's row lock on every path that
 * holds credits — unkeyed (group commit), keyed and batch submissions, the
 * holds API and consume — so concurrent requests never overshoot; released
 * and refunded credits give room back; day and month periods.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkLedger } from "../../src/ledger";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";
import { expectError, issuePaths, ledgerState } from "./support";

let p: Platform;
let admin: { id: string; key: string };
beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { RATE_LIMIT_PER_MINUTE: "0" } });
  admin = await p.user({ role: "admin" });
});
afterAll(async () => {
  await p?.close();
});

const api = (key: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  p.api(key, method, `/api/v1${path}`, body, headers);
const submit = (key: string, cost: number, headers?: Record<string, string>) => api(key, "POST", "/jobs", { kind: "test", input: { cost } }, headers);
const limits = async (key: string) => (await api(key, "GET", "/credits/limits")).body;

/** Move a user's hold transfers (and what resolved them) back in time, as if placed then. */
async function backdate(userId: string, to: Date): Promise<void> {
  await p.ctx.ds.query(`UPDATE ledger_transfers SET created_at = $2 WHERE user_id = $1`, [userId, to]);
}

async function expectLedgerClean(): Promise<void> {
  expect((await checkLedger(p.ctx.ds.manager)).problems).toEqual([]);
}

describe("GET/PUT /credits/limits", () => {
  it("starts with no limits, sets and clears them, and validates input (400, nothing changed)", async () => {
    const u = await p.user({ credits: 100 });
    expect(await limits(u.key)).toEqual({
      daily: null, monthly: null, ceiling_daily: null, ceiling_monthly: null, spent_today: 0, spent_this_month: 0, low_credit_threshold: null,
    });
    const put = await api(u.key, "PUT", "/credits/limits", { daily: 50, monthly: 500, low_credit_threshold: 7 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ daily: 50, monthly: 500, low_credit_threshold: 7 });
    // The low-credit threshold is the one the low-credit task reads (and /billing/low-credit shows).
    expect((await p.ctx.ds.query(`SELECT low_credit_threshold::int AS t FROM users WHERE id = $1`, [u.id]))[0].t).toBe(7);
    expect((await api(u.key, "GET", "/credits/low-credit-alert")).body).toMatchObject({ threshold: 7 });

    for (const [body, path] of [[{ daily: -1 }, "daily"], [{ monthly: 1.5 }, "monthly"], [{ daily: "5" }, "daily"], [{ nope: 1 }, ""]] as const) {
      const r = await api(u.key, "PUT", "/credits/limits", body);
      expectError(r, 400, "invalid_request");
      if (path) expect(issuePaths(r)).toContain(path);
    }
    // Leaving a field out keeps it; null clears it.
    expect((await api(u.key, "PUT", "/credits/limits", { daily: null })).body).toMatchObject({ daily: null, monthly: 500, low_credit_threshold: 7 });
    expect((await api(u.key, "PUT", "/credits/limits", { monthly: null, low_credit_threshold: null })).body)
      .toMatchObject({ daily: null, monthly: null, low_credit_threshold: null });
    // No limit left: the ledger account carries none, so holds never count spend.
    const [acc] = await p.ctx.ds.query(`SELECT spend_limit_daily, spend_limit_monthly FROM ledger_accounts WHERE user_id = $1`, [u.id]);
    expect(acc).toEqual({ spend_limit_daily: null, spend_limit_monthly: null });
  });
});

describe("enforcement", () => {
  it("300 concurrent submissions on every hold path against a limit that fits exactly 50: 50 taken, 250 refused, no overshoot", async () => {
    const u = await p.user({ credits: 10_000 });
    expect((await api(u.key, "PUT", "/credits/limits", { daily: 150 })).status).toBe(200);
    // Cost 3 each, so 50 fit exactly; unkeyed jobs (group commit), keyed jobs, holds and consumes race on one account.
    const calls = Array.from({ length: 300 }, (_, i) => {
      switch (i % 4) {
        case 0: return submit(u.key, 3);
        case 1: return submit(u.key, 3, { "Idempotency-Key": randomUUID() });
        case 2: return api(u.key, "POST", "/holds", { credits: 3 });
        default: return api(u.key, "POST", "/credits/consume", { credits: 3, description: "metered" });
      }
    });
    const replies = await Promise.all(calls);
    const ok = replies.filter((r) => r.status === 202 || r.status === 201);
    const refused = replies.filter((r) => r.status === 402);
    expect(ok.length + refused.length, JSON.stringify(replies.find((r) => ![201, 202, 402].includes(r.status))?.body)).toBe(300);
    expect(ok).toHaveLength(50);
    for (const r of refused) {
      expectError(r, 402, "spend_limit_reached");
      expect(r.body.error.details).toEqual({ period: "day", limit: 150, spent: 150, required: 3 });
    }
    const l = await limits(u.key);
    expect(l).toMatchObject({ daily: 150, spent_today: 150, spent_this_month: 150 });
    // Exactly 50 holds (jobs, holds and consumes) were written: nothing of the refused ones.
    const [{ holds }] = await p.ctx.ds.query(`SELECT count(*)::int AS holds FROM ledger_transfers WHERE user_id = $1 AND type = 'hold'`, [u.id]);
    expect(holds).toBe(50);
    const bal = (await api(u.key, "GET", "/credits/balance")).body;
    expect(bal.posted).toBe(10_000 - 3 * replies.filter((r, i) => i % 4 === 3 && r.status === 201).length);
    expect(10_000 - bal.available).toBe(150);
    await expectLedgerClean();
  });

  it("gives room back when a job is cancelled, a hold released, or a capture takes less than held", async () => {
    const u = await p.user({ credits: 1_000 });
    await api(u.key, "PUT", "/credits/limits", { daily: 10 });
    const job = await submit(u.key, 6);
    expect(job.status).toBe(202);
    const hold = await api(u.key, "POST", "/holds", { credits: 4 });
    expect(hold.status).toBe(201);
    expectError(await submit(u.key, 1), 402, "spend_limit_reached");

    // Cancel the queued job: its 6 come back.
    expect((await api(u.key, "POST", `/jobs/${job.body.id}/cancel`)).status).toBe(200);
    expect(await limits(u.key)).toMatchObject({ spent_today: 4 });
    const again = await submit(u.key, 6);
    expect(again.status).toBe(202);
    expectError(await api(u.key, "POST", "/holds", { credits: 1 }), 402, "spend_limit_reached");

    // Capture 1 of the hold's 4: 3 come back.
    expect((await api(u.key, "POST", `/holds/${hold.body.id}/capture`, { credits: 1 })).status).toBe(200);
    expect(await limits(u.key)).toMatchObject({ spent_today: 7 });
    const h2 = await api(u.key, "POST", "/holds", { credits: 3 });
    expect(h2.status).toBe(201);
    const r = await api(u.key, "POST", "/holds", { credits: 1 });
    expectError(r, 402, "spend_limit_reached");
    expect(r.body.error.details).toEqual({ period: "day", limit: 10, spent: 10, required: 1 });
    expect(r.body.error.message).toBe("This needs 1 credits but your daily spend limit of 10 has 0 left (10 spent today).");

    // Release: all 3 back.
    expect((await api(u.key, "POST", `/holds/${h2.body.id}/release`)).status).toBe(200);
    expect(await limits(u.key)).toMatchObject({ spent_today: 7 });
    expect((await api(u.key, "POST", "/credits/consume", { credits: 3, description: "x" })).status).toBe(201);
    expect(await limits(u.key)).toMatchObject({ spent_today: 10 });
    await expectLedgerClean();
  });

  it("a dispute refund gives room back", async () => {
    const u = await p.user({ credits: 100 });
    await api(u.key, "PUT", "/credits/limits", { daily: 10 });
    const c = await api(u.key, "POST", "/credits/consume", { credits: 10, description: "bad result" });
    expect(c.status).toBe(201);
    expectError(await api(u.key, "POST", "/credits/consume", { credits: 1, description: "x" }), 402, "spend_limit_reached");
    const d = await api(u.key, "POST", "/disputes", { transaction_id: c.body.transaction.id, reason: "quality", description: "wrong" });
    expect(d.status).toBe(201);
    const res = await api(admin.key, "POST", `/admin/disputes/${d.body.id}/resolve`, { outcome: "refund", credits: 4, note: "partly" });
    expect(res.status).toBe(200);
    expect(await limits(u.key)).toMatchObject({ spent_today: 6 });
    expect((await api(u.key, "POST", "/credits/consume", { credits: 4, description: "x" })).status).toBe(201);
    expectError(await api(u.key, "POST", "/credits/consume", { credits: 1, description: "x" }), 402, "spend_limit_reached");
  });

  it("refuses a whole batch that would pass the limit (all or nothing), with required = the total", async () => {
    const u = await p.user({ credits: 1_000 });
    await api(u.key, "PUT", "/credits/limits", { daily: 20 });
    expect((await submit(u.key, 5)).status).toBe(202);
    const r = await api(u.key, "POST", "/batches", { jobs: [{ kind: "test", input: { cost: 8 } }, { kind: "test", input: { cost: 8 } }] });
    expectError(r, 402, "spend_limit_reached");
    expect(r.body.error.details).toEqual({ period: "day", limit: 20, spent: 5, required: 16 });
    expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 1, pending_holds: 1, held: 5 });
    const fits = await api(u.key, "POST", "/batches", { jobs: [{ kind: "test", input: { cost: 7 } }, { kind: "test", input: { cost: 8 } }] });
    expect(fits.status).toBe(202);
    expect(await limits(u.key)).toMatchObject({ spent_today: 20 });
  });

  it("counts the day and the month separately: yesterday's spend counts for the month only", async () => {
    const u = await p.user({ credits: 1_000 });
    await api(u.key, "PUT", "/credits/limits", { daily: 10, monthly: 25 });
    expect((await api(u.key, "POST", "/credits/consume", { credits: 10, description: "x" })).status).toBe(201);
    expectError(await api(u.key, "POST", "/credits/consume", { credits: 1, description: "x" }), 402, "spend_limit_reached");

    const now = new Date((await p.ctx.ds.query(`SELECT now() AS now`))[0].now);
    const yesterday = new Date(now.getTime() - 86_400_000);
    await backdate(u.id, yesterday);
    const sameMonth = yesterday.getUTCMonth() === now.getUTCMonth();
    expect(await limits(u.key)).toMatchObject({ spent_today: 0, spent_this_month: sameMonth ? 10 : 0 });
    expect((await api(u.key, "POST", "/credits/consume", { credits: 10, description: "x" })).status).toBe(201);
    if (sameMonth) {
      // 20 this month: 6 more would pass the monthly 25 before the daily 10 would.
      await api(u.key, "PUT", "/credits/limits", { daily: 100 });
      const r = await api(u.key, "POST", "/credits/consume", { credits: 6, description: "x" });
      expectError(r, 402, "spend_limit_reached");
      expect(r.body.error.details).toEqual({ period: "month", limit: 25, spent: 20, required: 6 });
    }
    // Last month's spend counts for neither.
    await backdate(u.id, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - 1000));
    expect(await limits(u.key)).toMatchObject({ spent_today: 0, spent_this_month: 0 });
  });
});

describe("admin ceilings", () => {
  it("caps the user's limit (400 above it, naming the field), clamps a higher limit, applies without one, and is audited", async () => {
    const u = await p.user({ credits: 1_000 });
    await api(u.key, "PUT", "/credits/limits", { daily: 300, monthly: 1_000 });
    const set = await api(admin.key, "PUT", `/admin/users/${u.id}/limits`, { ceiling_daily: 100, reason: "new account" });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ daily: 100, monthly: 1_000, ceiling_daily: 100, ceiling_monthly: null });

    const over = await api(u.key, "PUT", "/credits/limits", { daily: 101, monthly: 5 });
    expectError(over, 400, "invalid_request");
    expect(issuePaths(over)).toEqual(["daily"]);
    expect(await limits(u.key)).toMatchObject({ daily: 100, monthly: 1_000 });
    expect((await api(u.key, "PUT", "/credits/limits", { daily: 100 })).status).toBe(200);
    // Clearing one's own limit leaves the ceiling in force.
    expect((await api(u.key, "PUT", "/credits/limits", { daily: null })).body).toMatchObject({ daily: 100, ceiling_daily: 100 });
    expect((await submit(u.key, 60)).status).toBe(202);
    const r = await submit(u.key, 41);
    expectError(r, 402, "spend_limit_reached");
    expect(r.body.error.details).toEqual({ period: "day", limit: 100, spent: 60, required: 41 });

    const audit = await api(admin.key, "GET", `/admin/audit?user_id=${u.id}`);
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({
      actor_id: admin.id, action: "limits.change", user_id: u.id, reason: "new account", request_id: set.headers.get("x-request-id"),
      before: { daily: 300, monthly: 1_000, ceiling_daily: null, ceiling_monthly: null },
      after: { daily: 100, monthly: 1_000, ceiling_daily: 100, ceiling_monthly: null },
    });

    // Removing the ceiling does not bring the clamped limit back.
    expect((await api(admin.key, "PUT", `/admin/users/${u.id}/limits`, { ceiling_daily: null })).body)
      .toMatchObject({ daily: null, ceiling_daily: null });
  });

  it("is admin-only (403 for a user key, changing nothing), 404 for an unknown user, 400 for bad input", async () => {
    const u = await p.user({ credits: 10 });
    const other = await p.user();
    expectError(await api(u.key, "PUT", `/admin/users/${u.id}/limits`, { ceiling_daily: 1_000_000 }), 403, "forbidden");
    expectError(await api(u.key, "PUT", `/admin/users/${other.id}/limits`, { ceiling_daily: 0 }), 403, "forbidden");
    expect(await limits(other.key)).toMatchObject({ ceiling_daily: null, daily: null });
    expectError(await api(admin.key, "PUT", `/admin/users/${randomUUID()}/limits`, { ceiling_daily: 5 }), 404, "not_found");
    expectError(await api(admin.key, "PUT", `/admin/users/not-a-uuid/limits`, { ceiling_daily: 5 }), 404, "not_found");
    const bad = await api(admin.key, "PUT", `/admin/users/${u.id}/limits`, { ceiling_daily: -5 });
    expectError(bad, 400, "invalid_request");
    expect(issuePaths(bad)).toContain("ceiling_daily");
  });

  it("a limit of 0 stops all spending", async () => {
    const u = await p.user({ credits: 10 });
    await api(admin.key, "PUT", `/admin/users/${u.id}/limits`, { ceiling_monthly: 0 });
    const r = await api(u.key, "POST", "/holds", { credits: 1 });
    expectError(r, 402, "spend_limit_reached");
    expect(r.body.error.details).toEqual({ period: "month", limit: 0, spent: 0, required: 1 });
    expect(await ledgerState(p, u.id)).toMatchObject({ pending_holds: 0, hold_transfers: 0, held: 0 });
  });
});
