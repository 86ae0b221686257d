/**
 * GET /api/v1/admin/credits/system/spend: the system's spend per UTC day
 * (the admin dashboard's chart). Its days add up to the system summary's
 * `spent` and to the charge transfers in the ledger; a moved clock moves the
 * spend to an earlier day and then out of the window.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { expectError } from "./support";

const clock = new ManualClock();
let p: Platform;
let admin: string;

beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), clock, env: { RATE_LIMIT_PER_MINUTE: "0" } });
  admin = (await p.user({ role: "admin" })).key;
});
afterAll(async () => {
  await p?.close();
});

const get = (key: string, path: string) => p.api(key, "GET", `/api/v1${path}`);
const utcDay = (d: Date) => d.toISOString().slice(0, 10);

describe("system spend per day", () => {
  it("adds up to the ledger's charges and the system summary, split by kind, every day present", async () => {
    clock.set(new Date());
    const u = await p.user({ credits: 100 });
    for (const use of [4, 7]) {
      const job = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 10, use } });
      expect(job.status).toBe(202);
      await waitFor(async () => (await get(u.key, `/jobs/${job.body.id}`)).body.status === "succeeded", { what: "job succeeded" });
    }
    // A charge without a job (the holds API's consume) is `other`.
    expect((await p.api(u.key, "POST", "/api/v1/credits/consume", { credits: 3, description: "metered" })).status).toBe(201);

    const r = await get(admin, "/admin/credits/system/spend");
    expect(r.status).toBe(200);
    const s = r.body;
    expect(s.days).toBe(30);
    expect(s.by_day).toHaveLength(30);
    expect(s.to).toBe(utcDay(clock.now()));
    expect(s.by_day[29].date).toBe(s.to);
    expect(s.by_day[0].date).toBe(s.from);
    const [{ spent }] = await p.ctx.ds.query(`SELECT sum(amount)::int AS spent FROM ledger_transfers WHERE type = 'charge'`);
    expect(spent).toBe(14);
    expect(s.total).toBe(spent);
    expect(s.total_usd).toBe("1.40");
    expect(s.by_day.reduce((a: number, d: { spent: number }) => a + d.spent, 0)).toBe(s.total);
    expect(s.by_day[29]).toEqual({ date: s.to, spent: 14, spent_usd: "1.40", by_kind: [{ kind: "test", credits: 11 }, { kind: "other", credits: 3 }] });
    // Everything here happened inside the window, so it equals the all-time summary.
    expect((await get(admin, "/admin/credits/system/summary")).body.spent).toBe(s.total);
  });

  it("counts by UTC day as of now: three days later the spend is three days back; 30 days later it is out of the window", async () => {
    clock.advance(3 * 86_400_000);
    const later = (await get(admin, "/admin/credits/system/spend?days=7")).body;
    expect(later.by_day).toHaveLength(7);
    expect(later.by_day.map((d: { spent: number }) => d.spent)).toEqual([0, 0, 0, 14, 0, 0, 0]);
    expect(later.total).toBe(14);
    clock.advance(27 * 86_400_000);
    const gone = (await get(admin, "/admin/credits/system/spend")).body;
    expect(gone.total).toBe(0);
    expect((await get(admin, "/admin/credits/system/spend?days=31")).body.by_day[0].spent).toBe(14);
    clock.set(new Date());
  });

  it("refuses a bad window and non-admins", async () => {
    for (const days of ["0", "91", "x", "1.5"]) expectError(await get(admin, `/admin/credits/system/spend?days=${days}`), 400, "invalid_request");
    const u = await p.user();
    expectError(await get(u.key, "/admin/credits/system/spend"), 403, "forbidden");
  });
});
