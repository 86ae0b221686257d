/**
 * Promotion limits: the per-user limit (default 1, admin-settable), and the
 * late async payment — a checkout paid after the sweep released its use —
 * racing new checkouts for the freed uses: the buyer always gets the credits
 * paid for, and `uses ≤ max_redemptions` holds in the database (a CHECK).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepStaleCheckouts } from "../../src/billing/checkouts";
import { checkLedger } from "../../src/ledger";
import { type BillingBed, startBillingBed } from "./harness";

let bed: BillingBed;
let admin: { id: string; key: string };
beforeAll(async () => {
  bed = await startBillingBed();
  admin = await bed.p.user({ role: "admin" });
});
afterAll(async () => {
  await bed?.close();
});

async function promo(body: Record<string, unknown>) {
  const r = await bed.p.api(admin.key, "POST", "/api/v1/admin/promotions", body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; code: string; max_redemptions_per_user: number | null; times_used: number };
}

const buy = (key: string, code: string) => bed.p.api(key, "POST", "/api/v1/credits/purchase", { credits: 100, promo_code: code });

async function promoRow(code: string) {
  return (await bed.q<{ uses: number; max_redemptions: number | null }>(`SELECT uses, max_redemptions FROM promotions WHERE code = $1`, [code]))[0]!;
}

async function statuses(code: string): Promise<Record<string, number>> {
  const rows = await bed.q<{ status: string; n: number }>(
    `SELECT r.status, count(*)::int AS n FROM promotion_redemptions r JOIN promotions p ON p.id = r.promotion_id WHERE p.code = $1 GROUP BY r.status`,
    [code],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function ledgerClean() {
  const report = await bed.p.ctx.ds.transaction("REPEATABLE READ", (m) => checkLedger(m));
  expect(report.ok, JSON.stringify(report)).toBe(true);
}

describe("per-user limit", () => {
  it("defaults to once per user; another user may still use the code; an expired checkout gives the use back", async () => {
    const p = await promo({ code: "WELCOME", kind: "percent", percent_off: 10, max_redemptions: 10 });
    expect(p.max_redemptions_per_user).toBe(1);
    const a = await bed.p.user();
    const b = await bed.p.user();
    const first = await buy(a.key, "WELCOME");
    expect(first.status).toBe(201);
    const second = await buy(a.key, "WELCOME");
    expect(second.status).toBe(400);
    expect(second.body.error).toMatchObject({ code: "invalid_request", details: { issues: [{ path: "promo_code", message: "per-user limit reached" }] } });
    // The quote says so too, and changes nothing.
    expect((await bed.p.api(a.key, "POST", "/api/v1/credits/purchase/validate", { credits: 100, promo_code: "WELCOME" })).status).toBe(400);
    expect((await buy(b.key, "WELCOME")).status).toBe(201);
    expect(await promoRow("WELCOME")).toMatchObject({ uses: 2 });

    const s = bed.stripe.sessions.get(first.body.session_id)!;
    s.status = "expired";
    await bed.send(bed.stripe.event("checkout.session.expired", s));
    expect(await promoRow("WELCOME")).toMatchObject({ uses: 1 });
    const again = await buy(a.key, "WELCOME");
    expect(again.status).toBe(201);
    await bed.send(...bed.stripe.completeCheckout(again.body.session_id));
    expect((await bed.balance(a.id)).available).toBe(100);
    expect((await buy(a.key, "WELCOME")).status).toBe(400);
    expect(await statuses("WELCOME")).toEqual({ released: 1, reserved: 1, redeemed: 1 });
  });

  it("is set by the admin: an explicit limit, null for none, and PATCH changes it", async () => {
    const twice = await promo({ code: "TWICE", kind: "fixed", amount_off_cents: 100, max_redemptions_per_user: 2 });
    expect(twice.max_redemptions_per_user).toBe(2);
    const u = await bed.p.user();
    expect((await buy(u.key, "TWICE")).status).toBe(201);
    expect((await buy(u.key, "TWICE")).status).toBe(201);
    expect((await buy(u.key, "TWICE")).status).toBe(400);

    const patched = await bed.p.api(admin.key, "PATCH", `/api/v1/admin/promotions/${twice.id}`, { max_redemptions_per_user: null });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ max_redemptions_per_user: null, times_used: 2 });
    expect((await buy(u.key, "TWICE")).status).toBe(201);

    const open = await promo({ code: "NOLIMIT", kind: "fixed", amount_off_cents: 100, max_redemptions_per_user: null });
    expect(open.max_redemptions_per_user).toBeNull();

    // max_redemptions below the uses already counted: 400, nothing changed.
    const low = await bed.p.api(admin.key, "PATCH", `/api/v1/admin/promotions/${twice.id}`, { max_redemptions: 2, active: false });
    expect(low.status).toBe(400);
    expect(low.body.error.details.issues[0]).toMatchObject({ path: "max_redemptions" });
    expect(await promoRow("TWICE")).toMatchObject({ uses: 3, max_redemptions: null });
    const ok = await bed.p.api(admin.key, "PATCH", `/api/v1/admin/promotions/${twice.id}`, { max_redemptions: 3 });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ max_redemptions: 3, times_used: 3, active: true });
    expect((await buy((await bed.p.user()).key, "TWICE")).body.error.message).toMatch(/used up/);

    // Bad input and unknown ids, from admins; users are refused.
    expect((await bed.p.api(admin.key, "PATCH", `/api/v1/admin/promotions/${twice.id}`, { max_redemptions: 0 })).status).toBe(400);
    expect((await bed.p.api(admin.key, "PATCH", `/api/v1/admin/promotions/${twice.id}`, { code: "X" })).status).toBe(400);
    expect((await bed.p.api(admin.key, "PATCH", `/api/v1/admin/promotions/not-a-uuid`, {})).status).toBe(400);
    expect((await bed.p.api(admin.key, "PATCH", `/api/v1/admin/promotions/00000000-0000-4000-8000-000000000000`, { active: false })).status).toBe(404);
    expect((await bed.p.api(u.key, "PATCH", `/api/v1/admin/promotions/${twice.id}`, { active: false })).status).toBe(403);
  });

  it("the database refuses a use past max_redemptions, whatever code path tries", async () => {
    await promo({ code: "CAPPED", kind: "fixed", amount_off_cents: 100, max_redemptions: 1 });
    await expect(bed.q(`UPDATE promotions SET uses = 2 WHERE code = 'CAPPED'`)).rejects.toThrow(/promotions_uses_within_max/);
  });
});

describe("a late async payment after the sweep", () => {
  it("races new checkouts for the freed uses: never above max_redemptions, every payer gets the credits paid for", async () => {
    const MAX = 3;
    await promo({ code: "LATE", kind: "percent", percent_off: 50, max_redemptions: MAX });
    const late = await Promise.all(Array.from({ length: MAX }, () => bed.p.user()));
    const opened = await Promise.all(late.map((u) => buy(u.key, "LATE")));
    expect(opened.map((r) => r.status)).toEqual(Array(MAX).fill(201));
    expect(opened[0]!.body.total_cents).toBe(500);
    // Each buyer starts a bank payment: the session completes unpaid, the money comes days later.
    const sessions = opened.map((r) => bed.stripe.sessions.get(r.body.session_id)!);
    for (const s of sessions) {
      s.status = "complete";
      s.payment_status = "unpaid";
    }
    await bed.send(...sessions.map((s) => bed.stripe.event("checkout.session.completed", s)));
    expect(await promoRow("LATE")).toMatchObject({ uses: MAX });

    // Two days on, the sweep closes those checkouts and gives their uses back.
    expect(await sweepStaleCheckouts(bed.p.ctx.ds.manager, new Date(Date.now() + 49 * 3600_000))).toBeGreaterThanOrEqual(MAX);
    expect(await promoRow("LATE")).toMatchObject({ uses: 0 });

    // Now the payments succeed while other users race to buy with the freed code.
    for (const s of sessions) s.payment_status = "paid";
    const events = sessions.map((s) => bed.stripe.event("checkout.session.async_payment_succeeded", s));
    const rivals = await Promise.all(Array.from({ length: 8 }, () => bed.p.user()));
    const [, rivalTries] = await Promise.all([
      Promise.all(events.map((e) => bed.send(e))),
      Promise.all(rivals.map((u) => buy(u.key, "LATE"))),
    ]);
    const rivalWins = rivalTries.filter((r) => r.status === 201).length;
    for (const r of rivalTries) if (r.status !== 201) expect(r.body.error.message).toMatch(/used up/);

    // Every late payer got the 100 credits they paid for.
    for (const u of late) expect((await bed.balance(u.id)).available).toBe(100);
    const st = await statuses("LATE");
    const row = await promoRow("LATE");
    expect(row.uses).toBeLessThanOrEqual(MAX);
    // The counter agrees with the rows, and the freed uses went to exactly MAX takers (rivals or late payers).
    expect(row.uses).toBe((st.reserved ?? 0) + (st.redeemed ?? 0));
    expect(rivalWins + (st.redeemed ?? 0)).toBe(MAX);
    expect((st.redeemed ?? 0) + (st.over_limit ?? 0)).toBe(MAX);
    expect(st.reserved ?? 0).toBe(rivalWins);
    const outcomes = await bed.q<{ outcome: string }>(`SELECT outcome FROM stripe_events WHERE id = ANY ($1)`, [events.map((e) => e.id)]);
    for (const o of outcomes) expect(o.outcome).toMatch(/^granted;promotion=(redeemed_late|over_limit)$/);

    // The admin list shows the uncounted late uses.
    const list = await bed.p.api(admin.key, "GET", "/api/v1/admin/promotions");
    expect(list.body.data.find((p: { code: string }) => p.code === "LATE")).toMatchObject({ times_used: row.uses, over_limit_uses: st.over_limit ?? 0 });
    await ledgerClean();
  });

  it("with all uses taken by others first, the late payer is granted but not counted (over_limit)", async () => {
    await promo({ code: "FULL", kind: "fixed", amount_off_cents: 200, max_redemptions: 1 });
    const lateUser = await bed.p.user();
    const r = await buy(lateUser.key, "FULL");
    expect(r.status).toBe(201);
    const s = bed.stripe.sessions.get(r.body.session_id)!;
    await sweepStaleCheckouts(bed.p.ctx.ds.manager, new Date(Date.now() + 49 * 3600_000));
    const other = await bed.p.user();
    const taken = await buy(other.key, "FULL");
    expect(taken.status).toBe(201);
    s.status = "complete";
    s.payment_status = "paid";
    const ev = bed.stripe.event("checkout.session.async_payment_succeeded", s);
    await bed.send(ev, ev); // a replay changes nothing
    expect((await bed.balance(lateUser.id)).available).toBe(100);
    expect(await promoRow("FULL")).toMatchObject({ uses: 1 });
    expect(await statuses("FULL")).toEqual({ over_limit: 1, reserved: 1 });
    // The late use still counts against that user's own limit.
    expect((await buy(lateUser.key, "FULL")).status).toBe(400);
    await ledgerClean();
  });
});
