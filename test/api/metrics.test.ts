/**
 * /metrics: only for an admin key or METRICS_TOKEN; the money metrics are
 * read from the database and BullMQ at scrape time, and cached.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { raiseAlert } from "../../src/alerts/raise";
import { runLedgerCheck } from "../../src/alerts/ledger-check-task";
import * as ledger from "../../src/ledger";
import { registerMoneyMetrics } from "../../src/metrics/money-metrics";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";
import { expectError } from "./support";

const TOKEN = "metrics-token-for-tests-0123456789";
let p: Platform;
let admin: { id: string; key: string };

beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { RATE_LIMIT_PER_MINUTE: "0", METRICS_TOKEN: TOKEN, METRICS_CACHE_MS: "0" } });
  admin = await p.user({ role: "admin" });
});
afterAll(async () => {
  await p?.close();
});

async function scrape(): Promise<string> {
  const r = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(r.status).toBe(200);
  return r.text();
}

/** The value of one series, e.g. value(text, 'holdfast_credits_total{type="charge",kind="test",credit_type="standard"}'); undefined if absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function charge(userId: string, amount: number, jobId?: string): Promise<void> {
  const holdId = randomUUID();
  await p.ctx.ds.transaction(async (m) => {
    await ledger.hold(m, { id: holdId, userId, amount, jobId: jobId ?? null });
    await ledger.post(m, { id: randomUUID(), pendingId: holdId, amount });
  });
}

describe("who may read /metrics", () => {
  it("an admin key or METRICS_TOKEN; no key, a wrong token and a user key are 401", async () => {
    const u = await p.user();
    const get = (auth?: string) => p.api(null, "GET", "/metrics", undefined, auth ? { authorization: auth } : {});
    expectError(await get(), 401, "unauthenticated");
    expectError(await get(`Bearer ${TOKEN}x`), 401, "unauthenticated");
    expectError(await get(`Bearer ${u.key}`), 401, "unauthenticated");
    expectError(await get("Basic abc"), 401, "unauthenticated");
    expect((await get(`Bearer ${admin.key}`)).status).toBe(200);
    const t = await get(`Bearer ${TOKEN}`);
    expect(t.status).toBe(200);
    expect(t.headers.get("content-type")).toMatch(/text\/plain/);
  });

  it("without METRICS_TOKEN configured, only admin keys", async () => {
    const q = await startPlatform({ kinds: testKinds(), worker: false });
    try {
      const a = await q.user({ role: "admin" });
      expectError(await q.api(null, "GET", "/metrics", undefined, { authorization: "Bearer " }), 401, "unauthenticated");
      expectError(await q.api(null, "GET", "/metrics", undefined, { authorization: `Bearer ${TOKEN}` }), 401, "unauthenticated");
      expect((await q.api(a.key, "GET", "/metrics")).status).toBe(200);
    } finally {
      await q.close();
    }
  });
});

describe("money metrics", () => {
  it("credits by type, kind and credit type; pending holds and their age; queue depth", async () => {
    const u = await p.user({ credits: 1000 });
    const before = await scrape();
    const charged = (t: string) => value(t, 'holdfast_credits_total{type="charge",kind="none",credit_type="standard"}') ?? 0;
    const held = (t: string) => value(t, 'holdfast_credits_total{type="hold",kind="test",credit_type="standard"}') ?? 0;
    expect(value(before, 'holdfast_credits_total{type="grant",kind="none",credit_type="standard"}')).toBeGreaterThanOrEqual(1000);
    expect(value(before, "holdfast_money_metrics_up")).toBe(1);

    await charge(u.id, 7);
    // A transfer older than the incremental window's lag counts too (the first scrape summed it into the base).
    const j = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 11 } });
    expect(j.status).toBe(202);
    const after = await scrape();
    expect(charged(after) - charged(before)).toBe(7);
    expect(held(after) - held(before)).toBe(11);
    expect(value(after, 'holdfast_holds_pending{credit_type="standard"}')).toBe(1);
    expect(value(after, 'holdfast_credits_held{credit_type="standard"}')).toBe(11);
    expect(value(after, "holdfast_oldest_pending_hold_age_seconds")).toBeGreaterThanOrEqual(0);
    // Waiting to run: "prioritized" under fair dispatch (src/jobs/fairness.ts).
    expect((value(after, 'holdfast_queue_jobs{queue="jobs",state="waiting"}') ?? 0) + (value(after, 'holdfast_queue_jobs{queue="jobs",state="prioritized"}') ?? 0)).toBe(1);
    expect(value(after, 'holdfast_queue_jobs{queue="mail",state="failed"}')).toBe(0);

    // Age of the oldest hold: make it an hour old.
    await p.ctx.ds.query(`UPDATE ledger_transfers SET created_at = now() - interval '1 hour' WHERE job_id = $1 AND type = 'hold'`, [j.body.id]);
    expect(value(await scrape(), "holdfast_oldest_pending_hold_age_seconds")).toBeGreaterThanOrEqual(3599);
    await p.api(u.key, "POST", `/api/v1/jobs/${j.body.id}/cancel`);
    const canceled = await scrape();
    expect(value(canceled, 'holdfast_holds_pending{credit_type="standard"}')).toBeUndefined();
    expect(value(canceled, "holdfast_oldest_pending_hold_age_seconds")).toBe(0);
    // Canceled before it ran: the hold is released in full.
    const released = (t: string) => value(t, 'holdfast_credits_total{type="release",kind="test",credit_type="standard"}') ?? 0;
    expect(released(canceled) - released(before)).toBe(11);
  });

  it("totals stay exact across the incremental base: old transfers are summed once, new ones added", async () => {
    const u = await p.user({ credits: 100 });
    await charge(u.id, 3);
    // Dated well before the lag: these land in the base on the next load.
    await p.ctx.ds.query(`UPDATE ledger_transfers SET created_at = created_at - interval '2 hours' WHERE user_id = $1`, [u.id]);
    const loader = registerMoneyMetrics(new Registry(), { ...p.ctx, config: { ...p.ctx.config, METRICS_CACHE_MS: 0 } });
    const total = async () => (await loader.get()).credits.filter((c) => c.type === "charge").reduce((s, c) => s + c.credits, 0);
    const [{ sum }] = await p.ctx.ds.query(`SELECT sum(amount)::int AS sum FROM ledger_transfers WHERE type = 'charge'`);
    // Concurrent first loads (a scrape collects every metric at once) share one load: the base is summed once.
    const all = await Promise.all(Array.from({ length: 5 }, () => total()));
    expect(all).toEqual(Array(5).fill(sum));
    expect(await total()).toBe(sum);
    await charge(u.id, 5);
    expect(await total()).toBe(sum + 5);
    expect(await total()).toBe(sum + 5); // scraping again adds nothing twice
  });

  it("alerts raised, last ledger check, and disputes by status (skipped where the disputes table does not exist)", async () => {
    const t0 = await scrape();
    expect(value(t0, 'holdfast_alerts_total{type="spend_spike"}')).toBe(0);
    expect(t0).not.toMatch(/^holdfast_disputes\{/m); // no disputes yet
    expect(value(t0, "holdfast_money_metrics_up")).toBe(1);

    await raiseAlert(p.ctx, { type: "spend_spike", subject: randomUUID(), userId: null, summary: "test", details: {}, now: new Date() });
    await runLedgerCheck(p.ctx, new Date());
    const u = await p.user();
    await p.ctx.ds.query(
      `INSERT INTO disputes (user_id, transaction_id, item_id, credit_type, item_charged, disputed_credits, reason, description, status, outcome, resolved_at)
       VALUES ($1, gen_random_uuid(), gen_random_uuid(), 'standard', 5, 5, 'other', 'x', 'open', NULL, NULL),
              ($1, gen_random_uuid(), gen_random_uuid(), 'standard', 5, 5, 'other', 'x', 'open', NULL, NULL),
              ($1, gen_random_uuid(), gen_random_uuid(), 'standard', 5, 5, 'other', 'x', 'resolved', 'rejected', now())`,
      [u.id],
    );
    const t1 = await scrape();
    expect(value(t1, 'holdfast_alerts_total{type="spend_spike"}')).toBe(1);
    expect(value(t1, "holdfast_ledger_check_ok")).toBe(1);
    expect(value(t1, "holdfast_ledger_check_problems")).toBe(0);
    expect(value(t1, "holdfast_ledger_check_duration_seconds")).toBeGreaterThanOrEqual(0);
    expect(value(t1, "holdfast_ledger_check_last_run_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(value(t1, 'holdfast_disputes{status="open"}')).toBe(2);
    expect(value(t1, 'holdfast_disputes{status="resolved"}')).toBe(1);

    // A deployment without the disputes table: the series is left out, the scrape still answers.
    await p.ctx.ds.query(`ALTER TABLE disputes RENAME TO disputes_hidden`);
    try {
      const t2 = await scrape();
      expect(t2).not.toMatch(/^holdfast_disputes\{/m);
      expect(value(t2, "holdfast_money_metrics_up")).toBe(1);
    } finally {
      await p.ctx.ds.query(`ALTER TABLE disputes_hidden RENAME TO disputes`);
    }
  });

  it("a scrape storm loads the snapshot once per METRICS_CACHE_MS", async () => {
    const loader = registerMoneyMetrics(new Registry(), { ...p.ctx, config: { ...p.ctx.config, METRICS_CACHE_MS: 60_000 } });
    // Count the statements sent to the pool (the real pool, its query method wrapped for the length of the test).
    const pool = (p.ctx.ds.driver as unknown as { master: { query: (...a: unknown[]) => unknown } }).master;
    const original = pool.query;
    let loads = 0;
    pool.query = function (this: unknown, ...a: unknown[]) {
      loads++;
      return original.apply(this, a);
    };
    const cached = registerMoneyMetrics(new Registry(), { ...p.ctx, config: { ...p.ctx.config, METRICS_CACHE_MS: 60_000 } });
    try {
      const snaps = await Promise.all(Array.from({ length: 50 }, () => cached.get()));
      const perLoad = loads;
      expect(perLoad).toBeGreaterThan(0);
      expect(perLoad).toBeLessThan(10); // one load's few statements, not fifty loads' worth
      expect(new Set(snaps).size).toBe(1);
      await cached.get();
      expect(loads).toBe(perLoad);
    } finally {
      pool.query = original;
    }
    // The cached value does not move until the TTL passes.
    const grants = (s: Awaited<ReturnType<typeof loader.get>>) => s.credits.filter((c) => c.type === "grant").reduce((x, c) => x + c.credits, 0);
    const first = grants(await loader.get());
    await p.user({ credits: 10 }); // a new grant
    expect(grants(await loader.get())).toBe(first);
    const fresh = registerMoneyMetrics(new Registry(), { ...p.ctx, config: { ...p.ctx.config, METRICS_CACHE_MS: 0 } });
    expect(grants(await fresh.get())).toBe(first + 10);
  });
});

describe("the Grafana dashboard", () => {
  it("uses only metrics this app exports, and every money metric", async () => {
    const dash = readFileSync(path.join(__dirname, "../../docs/grafana-holdfast.json"), "utf8");
    JSON.parse(dash);
    const used = new Set([...dash.matchAll(/\b(holdfast_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_bucket$/, "")));
    const text = await scrape();
    const exported = new Set([...text.matchAll(/^# HELP (\S+)/gm)].map((m) => m[1]!));
    expect([...used].filter((n) => !exported.has(n))).toEqual([]);
    for (const m of ["holdfast_credits_total", "holdfast_holds_pending", "holdfast_credits_held", "holdfast_oldest_pending_hold_age_seconds",
      "holdfast_disputes", "holdfast_alerts_total", "holdfast_ledger_check_ok", "holdfast_ledger_check_duration_seconds", "holdfast_queue_jobs"]) {
      expect(used, m).toContain(m);
    }
  });
});

