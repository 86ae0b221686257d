/**
 * Plans without Stripe and the scheduled billing tasks, driven by an
 * injectable clock: months of renewals, reminders and expiries run in
 * seconds, and every task run twice in a row changes nothing the second time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addMonths } from "../../src/billing/periods";
import { billingTasks } from "../../src/billing/tasks";
import { type BillingBed, emailOf, startBillingBed, waitForMail } from "./harness";

let bed: BillingBed;
let admin: { id: string; key: string };
const T0 = new Date("2031-01-31T09:00:00.000Z"); // a month end: periods clamp to Feb 28, then back to the 31st
const DAY = 86_400_000;

beforeAll(async () => {
  bed = await startBillingBed({ clock: T0 });
  admin = await bed.p.user({ role: "admin" });
});
afterAll(async () => {
  await bed?.close();
});

/** Everything a billing task can change, as one comparable value. */
async function snapshot() {
  return bed.q(
    `SELECT (SELECT count(*) FROM ledger_transfers)::int AS transfers,
            (SELECT coalesce(sum(credits_posted - debits_posted), 0)::text FROM ledger_accounts WHERE kind = 'user') AS posted,
            (SELECT count(*) FROM notifications)::int AS notifications,
            (SELECT count(*) FROM subscription_grants)::int AS grants,
            (SELECT string_agg(concat_ws('/', id, status, package_id, pending_package_id, current_period_end, cancel_at_period_end), ',' ORDER BY id) FROM subscriptions) AS subs,
            (SELECT string_agg(account_id::text || armed::text || crossings::text, ',' ORDER BY account_id) FROM low_credit_state) AS alerts`,
  );
}

async function assign(userId: string, plan: string) {
  return bed.p.api(admin.key, "POST", `/api/v1/admin/users/${userId}/plan`, { package_id: plan });
}

describe("admin plans", () => {
  it("assigns a plan without Stripe (first period granted at once) and shows the user's subscription state", async () => {
    bed.clock.set(T0);
    const u = await bed.p.user();
    const forbidden = await bed.p.api(u.key, "POST", `/api/v1/admin/users/${u.id}/plan`, { package_id: "starter" });
    expect(forbidden.status).toBe(403);
    const r = await assign(u.id, "starter");
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      action: "assigned",
      subscription: { source: "admin", status: "active", package: { code: "starter" }, current_period_start: T0.toISOString(), current_period_end: "2031-02-28T09:00:00.000Z" },
    });
    expect((await bed.balance(u.id)).available).toBe(200);
    const info = await bed.p.api(admin.key, "GET", `/api/v1/admin/users/${u.id}/subscription`);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ user_id: u.id, current: { package: { code: "starter" }, credits_granted_this_period: 200 } });
    expect(info.body.subscriptions).toHaveLength(1);
    expect((await bed.p.api(admin.key, "GET", `/api/v1/admin/users/00000000-0000-4000-8000-000000000000/subscription`)).status).toBe(404);
    expect((await bed.p.api(admin.key, "GET", `/api/v1/admin/users/nope/subscription`)).status).toBe(400);
    expect((await assign(u.id, "gold")).status).toBe(400);
    // The user sees it too, and cannot cancel an invoiced plan themselves.
    const mine = await bed.p.api(u.key, "GET", "/api/v1/subscriptions");
    expect(mine.body.data[0]).toMatchObject({ source: "admin", package: { code: "starter" } });
    expect((await bed.p.api(u.key, "POST", `/api/v1/subscriptions/${mine.body.data[0].id}/cancel`)).status).toBe(409);
  });

  it("concurrent assignments make one plan and one grant", async () => {
    bed.clock.set(T0);
    const u = await bed.p.user();
    const rs = await Promise.all(Array.from({ length: 6 }, () => assign(u.id, "professional")));
    expect(rs.filter((r) => r.status === 201)).toHaveLength(1);
    expect(rs.filter((r) => r.status === 200).every((r) => r.body.action === "unchanged")).toBe(true);
    expect((await bed.balance(u.id)).available).toBe(600);
  });
});

describe("a month and more in seconds", () => {
  it("renews, reminds and expires on time; each task twice changes nothing", async () => {
    bed.clock.set(T0);
    const u = await bed.p.user();
    const email = await emailOf(bed, u.id);
    expect((await assign(u.id, "starter")).status).toBe(201);
    // Spend 50 of the first period's 200 (a job's hold and charge).
    const job = await bed.p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 50 } });
    expect(job.status).toBe(202);
    for (let i = 0; i < 100 && (await bed.balance(u.id)).held > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await bed.balance(u.id)).available).toBe(150);

    const tasks = billingTasks();
    const balances: Record<string, number> = {};
    // 70 days in 12-hour ticks: periods end Feb 28 and Mar 31.
    for (let t = T0.getTime(); t <= T0.getTime() + 70 * DAY; t += DAY / 2) {
      const now = new Date(t);
      bed.clock.set(now);
      for (const task of tasks) {
        await task.run(bed.p.ctx, now);
        const once = await snapshot();
        await task.run(bed.p.ctx, now);
        expect(await snapshot(), `${task.name} at ${now.toISOString()} changed something the second time`).toEqual(once);
      }
      balances[now.toISOString()] = (await bed.balance(u.id)).available;
    }
    const end1 = addMonths(T0, 1); // 2031-02-28T09:00Z
    const end2 = addMonths(T0, 2); // 2031-03-31T09:00Z
    expect(end1.toISOString()).toBe("2031-02-28T09:00:00.000Z");
    expect(end2.toISOString()).toBe("2031-03-31T09:00:00.000Z");
    // Just before each period's end the old credits are there; at the end the new period replaces them.
    expect(balances[new Date(end1.getTime() - DAY / 2).toISOString()]).toBe(150);
    expect(balances[end1.toISOString()]).toBe(200);
    expect(balances[end2.toISOString()]).toBe(200);

    const grants = await bed.q<{ period_start: Date; credits: string }>(
      `SELECT g.period_start, g.credits FROM subscription_grants g JOIN subscriptions s ON s.id = g.subscription_id WHERE s.user_id = $1 ORDER BY g.period_start`, [u.id],
    );
    expect(grants.map((g) => [g.period_start.toISOString(), g.credits])).toEqual([
      [T0.toISOString(), "200"], [end1.toISOString(), "200"], [end2.toISOString(), "200"],
    ]);
    const expired = await bed.q<{ amount: string }>(`SELECT amount FROM ledger_transfers WHERE user_id = $1 AND type = 'expire' ORDER BY created_at`, [u.id]);
    expect(expired.map((e) => e.amount)).toEqual(["150", "200"]);

    const kinds = await bed.q<{ kind: string; n: number }>(`SELECT kind, count(*)::int AS n FROM notifications WHERE user_id = $1 GROUP BY kind ORDER BY kind`, [u.id]);
    expect(kinds).toEqual([{ kind: "plan_credits", n: 3 }, { kind: "renewal_reminder", n: 2 }]);
    const reminders = await waitForMail(bed, email, "renewal_reminder", 2);
    expect(reminders.map((m) => m.subject).sort()).toEqual(["Your Starter plan renews on 2031-02-28", "Your Starter plan renews on 2031-03-31"]);
    await waitForMail(bed, email, "plan_credits", 3);
  });

  it("a downgrade and a cancellation take effect at the period's end", async () => {
    bed.clock.set(T0);
    const u = await bed.p.user();
    await assign(u.id, "professional");
    const down = await assign(u.id, "starter");
    expect(down.body).toMatchObject({ action: "downgrade_scheduled", subscription: { package: { code: "professional" }, pending_package: { code: "starter" } } });
    expect((await bed.balance(u.id)).available).toBe(600);

    const renewals = billingTasks().find((t) => t.name === "billing-admin-renewals")!;
    const end1 = addMonths(T0, 1);
    await renewals.run(bed.p.ctx, end1);
    const info = await bed.p.api(admin.key, "GET", `/api/v1/admin/users/${u.id}/subscription`);
    expect(info.body.current).toMatchObject({ package: { code: "starter" }, pending_package: null, current_period_start: end1.toISOString() });
    expect((await bed.balance(u.id)).available).toBe(800); // professional's 600 expire later, with the lot-expiry task

    const cancel = await bed.p.api(admin.key, "DELETE", `/api/v1/admin/users/${u.id}/plan`);
    expect(cancel.body).toMatchObject({ cancel_at_period_end: true, status: "active" });
    await renewals.run(bed.p.ctx, addMonths(T0, 2));
    const ended = await bed.p.api(admin.key, "GET", `/api/v1/admin/users/${u.id}/subscription`);
    expect(ended.body.current).toBeNull();
    expect(ended.body.subscriptions[0]).toMatchObject({ status: "canceled", ended_at: addMonths(T0, 2).toISOString() });
    expect((await bed.balance(u.id)).available).toBe(800); // no grant for the period after the end
  });

  it("an upgrade mid-period grants the prorated difference at once", async () => {
    bed.clock.set(T0);
    const u = await bed.p.user();
    await assign(u.id, "starter");
    // Jan 31 → Feb 28 is 28 days; 7 days in, 3/4 of the period is left: (1500 − 200) × ¾ = 975.
    bed.clock.set(new Date(T0.getTime() + 7 * DAY));
    const up = await assign(u.id, "enterprise");
    expect(up.body).toMatchObject({ action: "upgraded", subscription: { package: { code: "enterprise" }, credits_granted_this_period: 200 + 975 } });
    expect((await bed.balance(u.id)).available).toBe(1175);
    // Enterprise rolls over: the upgrade lot never expires.
    const lots = await bed.q<{ amount: string; expires_at: Date | null }>(
      `SELECT l.amount, l.expires_at FROM ledger_lots l JOIN ledger_accounts a ON a.id = l.account_id WHERE a.user_id = $1 ORDER BY l.created_at`, [u.id],
    );
    expect(lots.map((l) => [l.amount, l.expires_at?.toISOString() ?? null])).toEqual([["200", addMonths(T0, 1).toISOString()], ["975", null]]);
  });

  it("after downtime, a renewal jumps to the current period and grants it once", async () => {
    bed.clock.set(T0);
    const u = await bed.p.user();
    await assign(u.id, "starter");
    const renewals = billingTasks().find((t) => t.name === "billing-admin-renewals")!;
    const late = new Date(addMonths(T0, 3).getTime() + 5 * DAY); // three periods missed
    await renewals.run(bed.p.ctx, late);
    await renewals.run(bed.p.ctx, late);
    const grants = await bed.q<{ period_start: Date }>(
      `SELECT g.period_start FROM subscription_grants g JOIN subscriptions s ON s.id = g.subscription_id WHERE s.user_id = $1 ORDER BY g.period_start`, [u.id],
    );
    expect(grants.map((g) => g.period_start.toISOString())).toEqual([T0.toISOString(), addMonths(T0, 3).toISOString()]);
  });
});
