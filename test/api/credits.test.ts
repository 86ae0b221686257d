/** The caller's credits: balance, paginated history, monthly summary and the rate. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { expectError } from "./support";

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), env: { RATE_LIMIT_PER_MINUTE: "0", JOB_ATTEMPTS: "2" } });
});
afterAll(async () => {
  await p?.close();
});

const get = (key: string, path: string) => p.api(key, "GET", `/api/v1${path}`);

async function runJob(key: string, input: Record<string, unknown>, until: string) {
  const sub = await p.api(key, "POST", "/api/v1/jobs", { kind: "test", input });
  expect(sub.status).toBe(202);
  return waitFor(async () => {
    const r = await get(key, `/jobs/${sub.body.id}`);
    return r.body.status === until ? r.body : null;
  }, { what: `job ${until}` });
}

describe("balance", () => {
  it("shows posted, held and available per credit type, with the service status", async () => {
    const u = await p.user({ credits: 12 });
    await ledger.grant(p.ctx.ds.manager, { id: randomUUID(), userId: u.id, amount: 3, creditType: "gpu", category: "promotional" });
    await ledger.hold(p.ctx.ds.manager, { id: randomUUID(), userId: u.id, amount: 5 });
    const r = await get(u.key, "/credits/balance");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      credit_type: "standard", available: 7, held: 5, posted: 12, status: "active", debt: 0, frozen: 0,
      by_type: [
        { credit_type: "gpu", available: 3, held: 0, posted: 3 },
        { credit_type: "standard", available: 7, held: 5, posted: 12 },
      ],
    });
    expect((await get(u.key, "/credits/balance?credit_type=gpu")).body).toMatchObject({ credit_type: "gpu", available: 3 });
    expect((await get(u.key, "/credits/balance?credit_type=none")).body).toMatchObject({ credit_type: "none", available: 0, posted: 0 });
    expectError(await get(u.key, "/credits/balance?credit_type=NO%20PE"), 400, "invalid_request");
  });
});

describe("transactions", () => {
  it("pages newest first without gaps or repeats, and filters by type", async () => {
    const u = await p.user();
    for (let i = 1; i <= 7; i++) await ledger.grant(p.ctx.ds.manager, { id: randomUUID(), userId: u.id, amount: i, category: "admin", description: `grant ${i}` });
    await ledger.hold(p.ctx.ds.manager, { id: randomUUID(), userId: u.id, amount: 2 });
    const seen: { type: string; amount: number; created_at: string }[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: { data: typeof seen; next_cursor: string | null } } = await get(u.key, `/credits/transactions?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...r.body.data);
      cursor = r.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(8);
    expect(seen[0]).toMatchObject({ type: "hold", amount: 2 });
    expect(seen.slice(1).map((t) => t.amount)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    const times = seen.map((t) => Date.parse(t.created_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const holds = await get(u.key, "/credits/transactions?type=hold");
    expect(holds.body.data).toHaveLength(1);
    for (const q of ["type=gift", "limit=500", "cursor=%%%", `job_id=nope`]) {
      expectError(await get(u.key, `/credits/transactions?${q}`), 400, "invalid_request");
    }
  });

  it("a forged cursor is 400, never a 500", async () => {
    const u = await p.user();
    const forged = [
      "2020-01-01T00:00:00Z|------------------------------------", "1|00000000-0000-0000-0000-000000000000",
      "2020-02-30T00:00:00Z|00000000-0000-0000-0000-000000000000", "0000-01-01T00:00:00Z|00000000-0000-0000-0000-000000000000",
      "Tue, 01 Jan 2020 00:00:00 GMT|00000000-0000-0000-0000-000000000000", "2020-01-01T00:00:00Z|00000000-0000-0000-0000-000000000000|x",
    ];
    for (const raw of forged) {
      const c = Buffer.from(raw).toString("base64url");
      for (const path of ["/credits/transactions", "/jobs"]) expectError(await get(u.key, `${path}?cursor=${c}`), 400, "invalid_request");
    }
  });

  it("shows only the caller's own transactions", async () => {
    const a = await p.user({ credits: 5 });
    const b = await p.user({ credits: 9 });
    const r = await get(b.key, "/credits/transactions");
    expect(r.body.data).toHaveLength(1);
    expect(r.body.data[0]).toMatchObject({ type: "grant", amount: 9 });
    expect((await get(a.key, "/credits/transactions")).body.data[0].amount).toBe(5);
  });
});

describe("summary", () => {
  it("adds up this month: granted, spent by kind with its dollar value, released, refunded, held", async () => {
    const u = await p.user({ credits: 100 });
    await runJob(u.key, { cost: 10, use: 6 }, "succeeded"); // charge 6, release 4
    await runJob(u.key, { cost: 5, fail: "system" }, "failed"); // platform failure: refund 5
    await runJob(u.key, { cost: 3, fail: "user" }, "failed"); // user's fault, measured usage 1: charge 1, release 2
    const queued = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 2, ms: 2000 } });
    expect(queued.status).toBe(202);

    const r = await get(u.key, "/credits/summary");
    expect(r.status).toBe(200);
    const now = new Date();
    const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, "0")}`;
    expect(r.body).toMatchObject({
      period: { month },
      granted: 100, spent: 7, released: 6, refunded: 5, expired: 0, removed: 0, held: 2,
      spent_usd: "0.70", usd_per_credit: "0.10",
      granted_by_type: { grant: 100, purchase: 0, subscription: 0, adjustment: 0 },
      spend_by_kind: [{ kind: "test", jobs: 2, credits: 7, usd: "0.70" }],
      by_credit_type: [{ credit_type: "standard", granted: 100, spent: 7, released: 6, refunded: 5, expired: 0, removed: 0, held: 2 }],
    });
    expect(Date.parse(r.body.period.start)).toBeLessThanOrEqual(now.getTime());
    expect(Date.parse(r.body.period.end)).toBeGreaterThan(now.getTime());
    // The books agree: what came in minus what went out is the posted balance.
    const bal = await get(u.key, "/credits/balance");
    expect(bal.body.posted).toBe(r.body.granted - r.body.spent - r.body.expired - r.body.removed);
    await waitFor(async () => (await get(u.key, `/jobs/${queued.body.id}`)).body.status === "succeeded");
  });

  it("another month is empty; a bad month is 400", async () => {
    const u = await p.user({ credits: 10 });
    const r = await get(u.key, "/credits/summary?month=2001-02");
    expect(r.body).toMatchObject({ period: { month: "2001-02", start: "2001-02-01T00:00:00.000Z", end: "2001-03-01T00:00:00.000Z" }, granted: 0, spent: 0, spend_by_kind: [], by_credit_type: [] });
    for (const m of ["2001-13", "2001-1", "last", "2001-00"]) expectError(await get(u.key, `/credits/summary?month=${m}`), 400, "invalid_request");
  });
});

it("rate is the platform's base price of one credit", async () => {
  const u = await p.user();
  const r = await get(u.key, "/credits/rate");
  expect(r.status).toBe(200);
  expect(r.body).toEqual({ usd_per_credit: "0.10", cents_per_credit: 10 });
  expectError(await p.api(null, "GET", "/api/v1/credits/rate"), 401, "unauthenticated");
});
