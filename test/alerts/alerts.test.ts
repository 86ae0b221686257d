/**
 * Anomaly alerts: each type fires on crafted data and not below its
 * threshold, is raised (row, admin email) once per window, and is listed by
 * GET /api/v1/admin/alerts?type=.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectEstimateDrift, detectSpendSpikes } from "../../src/alerts/detectors";
import { lastLedgerCheck, ledgerCheckTask, runLedgerCheck } from "../../src/alerts/ledger-check-task";
import { ManualClock } from "../../src/clock";
import * as ledger from "../../src/ledger";
import { expectError } from "../api/support";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";

const ADMIN_EMAIL = "ops@holdfast.test";
const HOUR = 3_600_000;
const MIN = 60_000;
let p: Platform;
let admin: { id: string; key: string };

beforeAll(async () => {
  // 402s are counted in fixed windows of ctx.clock (600 s here): a clock in the middle of one keeps the test off its edge.
  const clock = new ManualClock(new Date(Math.floor(Date.now() / 600_000) * 600_000 + 300_000));
  p = await startPlatform({
    kinds: testKinds(), worker: false, clock,
    env: {
      RATE_LIMIT_PER_MINUTE: "0", ADMIN_EMAIL, ALERT_WINDOW_MINUTES: "60",
      ALERT_SPEND_SPIKE_FACTOR: "3", ALERT_SPEND_SPIKE_FLOOR: "100", ALERT_SPEND_BASELINE_HOURS: "24",
      ALERT_DRIFT_WINDOW_MINUTES: "60", ALERT_DRIFT_BASELINE_HOURS: "24", ALERT_DRIFT_THRESHOLD: "0.5", ALERT_DRIFT_MIN_JOBS: "10",
      ALERT_402_THRESHOLD: "3", ALERT_402_WINDOW_SECONDS: "600",
    },
  });
  admin = await p.user({ role: "admin" });
});
afterAll(async () => {
  await p?.close();
});

/** A time 20 minutes into an hour (alert windows are whole hours here), so now + 30 min is the same window. */
function midWindow(): Date {
  return new Date(Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR + 20 * MIN);
}

/** A real hold + charge of `amount` for the user, dated `at`. */
async function spend(userId: string, amount: number, at: Date): Promise<void> {
  const holdId = randomUUID();
  const postId = randomUUID();
  await p.ctx.ds.transaction(async (m) => {
    await ledger.hold(m, { id: holdId, userId, amount });
    await ledger.post(m, { id: postId, pendingId: holdId, amount });
  });
  await p.ctx.ds.query(`UPDATE ledger_transfers SET created_at = $2 WHERE id = ANY ($1)`, [[holdId, postId], at]);
}

async function alertsOf(type: string, where: { userId?: string; kind?: string } = {}) {
  const rows: { id: string; user_id: string | null; details: Record<string, unknown> }[] = await p.ctx.ds.query(
    `SELECT id, user_id, details FROM alerts WHERE type = $1 AND ($2::uuid IS NULL OR user_id = $2) AND ($3::text IS NULL OR details->>'kind' = $3)`,
    [type, where.userId ?? null, where.kind ?? null],
  );
  return rows;
}

async function adminMails(alertIds: string[]): Promise<number> {
  const [r] = await p.ctx.ds.query(
    `SELECT count(*)::int AS n FROM notifications WHERE to_address = $1 AND kind = 'admin_alert' AND dedupe_key = ANY ($2)`,
    [ADMIN_EMAIL, alertIds.map((id) => `alert:${id}`)],
  );
  return r.n;
}

describe("spend spike", () => {
  it("fires above k × the trailing hourly baseline and the floor, not below either; once per window", async () => {
    const now = midWindow();
    const newcomer = await p.user({ credits: 10_000 }); // no history: the floor decides
    const small = await p.user({ credits: 10_000 }); // below the floor
    const steady = await p.user({ credits: 10_000 }); // baseline 100/h, last hour 250 < 3 × 100
    const spiking = await p.user({ credits: 10_000 }); // baseline 100/h, last hour 350 > 3 × 100
    await spend(newcomer.id, 150, new Date(now.getTime() - 10 * MIN));
    await spend(small.id, 99, new Date(now.getTime() - 10 * MIN));
    for (const u of [steady, spiking]) await spend(u.id, 2400, new Date(now.getTime() - 5 * HOUR));
    await spend(steady.id, 250, new Date(now.getTime() - 30 * MIN));
    await spend(spiking.id, 200, new Date(now.getTime() - 30 * MIN));
    await spend(spiking.id, 150, new Date(now.getTime() - 5 * MIN));
    // Spend outside the 25 hours looked at, and grants, count for nothing.
    await spend(small.id, 5000, new Date(now.getTime() - 30 * HOUR));

    await detectSpendSpikes(p.ctx, now);
    expect(await alertsOf("spend_spike", { userId: small.id })).toHaveLength(0);
    expect(await alertsOf("spend_spike", { userId: steady.id })).toHaveLength(0);
    const [n] = await alertsOf("spend_spike", { userId: newcomer.id });
    expect(n!.details).toMatchObject({ spent_last_hour: 150, hourly_baseline: 0 });
    const [s] = await alertsOf("spend_spike", { userId: spiking.id });
    expect(s!.details).toMatchObject({ spent_last_hour: 350, hourly_baseline: 100, factor: 3, floor: 100 });
    expect(await adminMails([n!.id, s!.id])).toBe(2);

    // The same window: found again, raised and mailed no more.
    expect(await detectSpendSpikes(p.ctx, new Date(now.getTime() + 1000))).toBe(0);
    await spend(spiking.id, 500, new Date(now.getTime() - 1 * MIN));
    expect(await detectSpendSpikes(p.ctx, new Date(now.getTime() + 30 * MIN))).toBe(0);
    expect(await alertsOf("spend_spike", { userId: spiking.id })).toHaveLength(1);
    // The next window raises it again while it lasts.
    await spend(spiking.id, 500, new Date(now.getTime() + 50 * MIN));
    await detectSpendSpikes(p.ctx, new Date(now.getTime() + 60 * MIN));
    expect(await alertsOf("spend_spike", { userId: spiking.id })).toHaveLength(2);
  });
});

describe("estimate drift", () => {
  async function jobs(kind: string, n: number, estimated: number, charged: number, finishedAt: Date) {
    const u = await p.user();
    for (let i = 0; i < n; i++) {
      await p.ctx.ds.query(
        `INSERT INTO jobs (id, user_id, kind, status, input, credit_type, credits_estimated, credits_charged, credits_refunded, created_at, started_at, finished_at)
         VALUES ($1, $2, $3, 'succeeded', '{}', 'standard', $4::bigint, $5::bigint, $4::bigint - $5::bigint, $6::timestamptz - interval '1 minute', $6::timestamptz - interval '1 minute', $6::timestamptz)`,
        [randomUUID(), u.id, kind, estimated, charged, finishedAt],
      );
    }
  }

  it("fires per kind when charged/estimated moves by the threshold from its baseline, with enough jobs on each side", async () => {
    const now = midWindow();
    const recent = new Date(now.getTime() - 10 * MIN);
    const earlier = new Date(now.getTime() - 5 * HOUR);
    // drifty: 0.5 → 0.9 (+80 %)
    await jobs("drifty", 10, 10, 5, earlier);
    await jobs("drifty", 10, 10, 9, recent);
    // cheaper: 0.8 → 0.2 (−75 %)
    await jobs("cheaper", 12, 10, 8, earlier);
    await jobs("cheaper", 10, 10, 2, recent);
    // steady: 0.5 → 0.7 (+40 %, under 50 %)
    await jobs("steady", 10, 10, 5, earlier);
    await jobs("steady", 10, 10, 7, recent);
    // few: drifts, but only 9 jobs in the window
    await jobs("few", 10, 10, 5, earlier);
    await jobs("few", 9, 10, 10, recent);

    await detectEstimateDrift(p.ctx, now);
    const [d] = await alertsOf("estimate_drift", { kind: "drifty" });
    expect(d!.details).toMatchObject({ kind: "drifty", ratio: 0.9, baseline_ratio: 0.5, window_jobs: 10, baseline_jobs: 10, relative_change: 0.8 });
    expect(d!.user_id).toBeNull();
    expect((await alertsOf("estimate_drift", { kind: "cheaper" }))[0]!.details).toMatchObject({ ratio: 0.2, baseline_ratio: 0.8 });
    expect(await alertsOf("estimate_drift", { kind: "steady" })).toHaveLength(0);
    expect(await alertsOf("estimate_drift", { kind: "few" })).toHaveLength(0);
    expect(await adminMails([d!.id])).toBe(1);

    expect(await detectEstimateDrift(p.ctx, new Date(now.getTime() + 20 * MIN))).toBe(0);
    expect(await alertsOf("estimate_drift", { kind: "drifty" })).toHaveLength(1);
  });
});

describe("repeated 402s", () => {
  const submit = (key: string) => p.api(key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5 } });

  it("fires when one key gets the threshold of 402s in a window, once; not below it, and per key", async () => {
    const u = await p.user({ credits: 1 });
    for (let i = 0; i < 2; i++) expectError(await submit(u.key), 402, "insufficient_credits");
    await new Promise((r) => setTimeout(r, 300));
    expect(await alertsOf("repeated_402", { userId: u.id })).toHaveLength(0);

    // Another key of the same user counts on its own.
    const second = await p.api(u.key, "POST", "/api/v1/keys", { name: "second" });
    for (let i = 0; i < 2; i++) expectError(await submit(second.body.api_key), 402, "insufficient_credits");
    await new Promise((r) => setTimeout(r, 300));
    expect(await alertsOf("repeated_402", { userId: u.id })).toHaveLength(0);

    expectError(await submit(u.key), 402, "insufficient_credits"); // the first key's third
    const [a] = await waitFor(async () => {
      const rows = await alertsOf("repeated_402", { userId: u.id });
      return rows.length ? rows : null;
    }, { what: "repeated_402 alert" });
    const [key] = await p.ctx.ds.query(`SELECT id, prefix FROM api_keys WHERE user_id = $1 AND name IS DISTINCT FROM 'second'`, [u.id]);
    expect(a!.details).toMatchObject({ key_id: key.id, key_prefix: key.prefix, count: 3, threshold: 3, last_code: "insufficient_credits" });
    expect(await waitFor(() => adminMails([a!.id]))).toBe(1);

    for (let i = 0; i < 4; i++) expectError(await submit(u.key), 402, "insufficient_credits");
    await new Promise((r) => setTimeout(r, 300));
    expect(await alertsOf("repeated_402", { userId: u.id })).toHaveLength(1);
    // Other errors are not counted: a 400 does not add up to an alert.
    const v = await p.user({ credits: 100 });
    for (let i = 0; i < 4; i++) expectError(await p.api(v.key, "POST", "/api/v1/jobs", { kind: "nope" }), 400, "invalid_request");
    await new Promise((r) => setTimeout(r, 300));
    expect(await alertsOf("repeated_402", { userId: v.id })).toHaveLength(0);
  });
});

describe("ledger check", () => {
  it("records a clean run; a broken invariant raises one alert per window with the problems named", async () => {
    const now = midWindow();
    const clean = await runLedgerCheck(p.ctx, now);
    expect(clean).toMatchObject({ ok: true, problems: 0, alerted: false });
    expect(await lastLedgerCheck(p.ctx)).toMatchObject({ ok: true, problems: 0, at: now.toISOString(), duration_ms: expect.any(Number) });
    expect(await alertsOf("ledger_check_failed")).toHaveLength(0);

    const u = await p.user({ credits: 10 });
    const [acct] = await p.ctx.ds.query(`SELECT id FROM ledger_accounts WHERE user_id = $1`, [u.id]);
    await p.ctx.ds.query(`UPDATE ledger_accounts SET credits_posted = credits_posted + 7 WHERE id = $1`, [acct.id]);
    try {
      const failed = await runLedgerCheck(p.ctx, new Date(now.getTime() + 5 * MIN));
      expect(failed).toMatchObject({ ok: false, alerted: true });
      expect(failed.problems).toBeGreaterThan(0);
      expect(await lastLedgerCheck(p.ctx)).toMatchObject({ ok: false, problems: failed.problems });
      const [a] = await alertsOf("ledger_check_failed");
      expect(a!.user_id).toBeNull();
      expect(JSON.stringify(a!.details)).toContain(acct.id);
      expect(await adminMails([a!.id])).toBe(1);
      expect((await runLedgerCheck(p.ctx, new Date(now.getTime() + 10 * MIN))).alerted).toBe(false);
      expect(await alertsOf("ledger_check_failed")).toHaveLength(1);
    } finally {
      await p.ctx.ds.query(`UPDATE ledger_accounts SET credits_posted = credits_posted - 7 WHERE id = $1`, [acct.id]);
    }
    expect((await runLedgerCheck(p.ctx, new Date(now.getTime() + 15 * MIN))).ok).toBe(true);
  });

  it("the scheduled task runs the check at LEDGER_CHECK_INTERVAL_MS, not every tick", async () => {
    const task = ledgerCheckTask();
    const t0 = new Date(Date.now() + 24 * HOUR);
    expect(await task.run(p.ctx, t0)).toMatchObject({ problems: 0 });
    expect(await task.run(p.ctx, new Date(t0.getTime() + 60_000))).toEqual({ skipped: 0 });
    expect((await lastLedgerCheck(p.ctx))!.at).toBe(t0.toISOString());
    expect(await task.run(p.ctx, new Date(t0.getTime() + p.ctx.config.LEDGER_CHECK_INTERVAL_MS))).toMatchObject({ problems: 0 });
  });
});

describe("GET /api/v1/admin/alerts", () => {
  it("lists alerts newest first, filtered by type, paginated; admins only; a bad type is 400", async () => {
    const all = await p.api(admin.key, "GET", "/api/v1/admin/alerts");
    expect(all.status).toBe(200);
    expect(all.body.data.length).toBeGreaterThan(4);
    expect(Object.keys(all.body.data[0]).sort()).toEqual(["created_at", "details", "id", "type", "user_id"]);
    const times = all.body.data.map((a: { created_at: string }) => a.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    for (const type of ["spend_spike", "estimate_drift", "repeated_402", "ledger_check_failed"]) {
      const r = await p.api(admin.key, "GET", `/api/v1/admin/alerts?type=${type}`);
      expect(r.body.data.length, type).toBeGreaterThan(0);
      expect(r.body.data.every((a: { type: string }) => a.type === type), type).toBe(true);
    }
    const page = await p.api(admin.key, "GET", "/api/v1/admin/alerts?limit=2");
    expect(page.body.data).toHaveLength(2);
    const next = await p.api(admin.key, "GET", `/api/v1/admin/alerts?limit=2&cursor=${page.body.next_cursor}`);
    expect(next.body.data[0].id).toBe(all.body.data[2].id);
    expectError(await p.api(admin.key, "GET", "/api/v1/admin/alerts?type=bogus"), 400, "invalid_request");
    const u = await p.user();
    expectError(await p.api(u.key, "GET", "/api/v1/admin/alerts"), 403, "forbidden");
  });
});
