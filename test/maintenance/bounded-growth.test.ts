/**
 * Bounded growth: the pruning task (old idempotency keys, Stripe payloads,
 * notifications, finished jobs' input/result, half-written uploads), the
 * per-user storage quota (413), DELETE /files/:id, and the per-key limits
 * on uploads, purchases and open event streams (429 with Retry-After).
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { builtinKinds, builtinServices } from "../../src/jobs/builtin";
import { prune } from "../../src/maintenance/prune";
import { testKind } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { expectError } from "../api/support";

let p: Platform;
let storageDir: string;
const DAY = 86_400_000;

beforeAll(async () => {
  storageDir = mkdtempSync(path.join(os.tmpdir(), "hf-storage-"));
  const env = {
    STORAGE_DIR: storageDir, STORAGE_QUOTA_BYTES: "1000", UPLOAD_RATE_LIMIT_PER_MINUTE: "4", PURCHASE_RATE_LIMIT_PER_MINUTE: "2",
    SSE_MAX_STREAMS_PER_KEY: "2", JOB_RETENTION_DAYS: "7",
  };
  const config = loadConfig({ ...env, DATABASE_URL: "postgres://x@127.0.0.1/x" });
  p = await startPlatform({ kinds: builtinKinds(config).register(testKind), env, worker: true });
  Object.assign(p.ctx.services, builtinServices(p.ctx.config, p.ctx.ds));
});
afterAll(async () => {
  await p?.close();
  rmSync(storageDir, { recursive: true, force: true });
});

const upload = (key: string, bytes: number) => p.api(key, "POST", "/api/v1/files?name=data.txt", "x".repeat(bytes));

describe("pruning", () => {
  it("drops what is past its retention and keeps the rest", async () => {
    const u = await p.user({ credits: 50 });
    const q = (sql: string, params: unknown[] = []) => p.ctx.ds.query(sql, params);
    const old = new Date(Date.now() - 40 * DAY);
    // Idempotency keys: one 2 days old, one fresh.
    await q(`INSERT INTO idempotency_keys (user_id, key, scope, request_hash, resource_id, created_at) VALUES ($1, 'old', 'jobs', 'h', $2, $3), ($1, 'new', 'jobs', 'h', $2, now())`,
      [u.id, randomUUID(), new Date(Date.now() - 2 * DAY)]);
    // Stripe events: processed long ago (payload goes, row stays), unprocessed long ago (kept whole).
    const [e1, e2] = [`evt_${randomUUID()}`, `evt_${randomUUID()}`];
    await q(`INSERT INTO stripe_events (id, type, payload, received_at, processed_at) VALUES ($1, 't', '{"a":1}', $3, $3), ($2, 't', '{"a":1}', $3, NULL)`, [e1, e2, old]);
    // Notifications: sent long ago (deleted), pending long ago (kept).
    const n = (k: string, status: string) => q(
      `INSERT INTO notifications (user_id, kind, dedupe_key, to_address, subject, body_text, body_html, status, created_at, sent_at)
       VALUES ($1, 'x', $2, 'a@b.c', 's', 't', 'h', $3::text, $4::timestamptz, CASE WHEN $3::text = 'sent' THEN $4::timestamptz END)`,
      [u.id, `${k}-${randomUUID()}`, status, new Date(Date.now() - 200 * DAY)]);
    await n("sent", "sent");
    await n("pending", "pending");
    // A finished job, 10 days ago, and one finished now.
    const sub = async () => (await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 2 } })).body.id as string;
    const [oldJob, newJob] = [await sub(), await sub()];
    for (const id of [oldJob, newJob]) {
      await waitFor(async () => (await p.api(u.key, "GET", `/api/v1/jobs/${id}`)).body.status === "succeeded", { what: "job done" });
    }
    await q(`UPDATE jobs SET finished_at = $2 WHERE id = $1`, [oldJob, new Date(Date.now() - 10 * DAY)]);
    // Half-written uploads: one left by a crash two hours ago, one being written now.
    const stale = path.join(storageDir, "ab", "leftover.part-aaaa");
    const fresh = path.join(storageDir, "ab", "writing.part-bbbb");
    await import("node:fs/promises").then((f) => f.mkdir(path.dirname(stale), { recursive: true }));
    writeFileSync(stale, "half");
    writeFileSync(fresh, "half");
    utimesSync(stale, new Date(Date.now() - 2 * 3600_000), new Date(Date.now() - 2 * 3600_000));

    const summary = await prune(p.ctx, new Date(), { batch: 1 });
    expect(summary).toMatchObject({ idempotency_keys: 1, stripe_event_payloads: 1, notifications: 1, job_payloads: 1, partial_uploads: 1 });

    expect((await q(`SELECT key FROM idempotency_keys WHERE user_id = $1`, [u.id])).map((r: { key: string }) => r.key)).toEqual(["new"]);
    expect(await q(`SELECT id, payload FROM stripe_events WHERE id = ANY($1) ORDER BY processed_at NULLS LAST`, [[e1, e2]])).toEqual([
      { id: e1, payload: null }, { id: e2, payload: { a: 1 } },
    ]);
    expect((await q(`SELECT status FROM notifications WHERE user_id = $1`, [u.id])).map((r: { status: string }) => r.status)).toEqual(["pending"]);
    const pruned = (await p.api(u.key, "GET", `/api/v1/jobs/${oldJob}`)).body;
    expect(pruned).toMatchObject({ status: "succeeded", input: null, result: null, credits: { estimated: 2, charged: 2, refunded: 0 } });
    expect(typeof pruned.pruned_at).toBe("string");
    const kept = (await p.api(u.key, "GET", `/api/v1/jobs/${newJob}`)).body;
    expect(kept).toMatchObject({ input: { cost: 2 }, result: { echoed: true } });
    expect(kept.pruned_at).toBeUndefined();
    expect([existsSync(stale), existsSync(fresh)]).toEqual([false, true]);

    // A second round finds nothing more.
    expect(await prune(p.ctx, new Date())).toEqual({ idempotency_keys: 0, stripe_event_payloads: 0, notifications: 0, job_payloads: 0, partial_uploads: 0 });
  });
});

describe("storage quota and DELETE /files/:id", () => {
  it("refuses an upload past the quota with 413 saying so; deleting a file makes room", async () => {
    const u = await p.user();
    const first = await upload(u.key, 600);
    expect(first.status).toBe(201);
    const over = await upload(u.key, 600);
    expectError(over, 413, "payload_too_large");
    expect(over.body.error.details).toMatchObject({ reason: "storage_quota", quota_bytes: 1000, used_bytes: 600, available_bytes: 400 });
    expect(over.body.error.message).toMatch(/storage quota/);
    const files: { n: number }[] = await p.ctx.ds.query(`SELECT count(*)::int AS n FROM files WHERE user_id = $1`, [u.id]);
    expect(files[0]!.n).toBe(1);

    const del = await p.api(u.key, "DELETE", `/api/v1/files/${first.body.id}`);
    expect(del.status).toBe(204);
    expect((await p.api(u.key, "GET", `/api/v1/files/${first.body.id}`)).status).toBe(404);
    expect((await upload(u.key, 600)).status).toBe(201);
  });

  it("removes the blob, 404s another user's file, and 409s a file a queued job will read", async () => {
    const u = await p.user({ credits: 50 });
    const other = await p.user();
    const f = await upload(u.key, 100);
    expect(f.status).toBe(201);
    const row: { storage_key: string }[] = await p.ctx.ds.query(`SELECT storage_key FROM files WHERE id = $1`, [f.body.id]);
    const blob = path.join(storageDir, row[0]!.storage_key);
    expect(existsSync(blob)).toBe(true);
    expectError(await p.api(other.key, "DELETE", `/api/v1/files/${f.body.id}`), 404, "not_found");

    await p.worker!.close(1000); // the job stays queued
    const job = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "file", input: { file_id: f.body.id, operation: "sha256" } });
    expect(job.status, JSON.stringify(job.body)).toBe(202);
    const busy = await p.api(u.key, "DELETE", `/api/v1/files/${f.body.id}`);
    expectError(busy, 409, "invalid_state");
    expect(busy.body.error.details).toMatchObject({ job_id: job.body.id });
    expect(existsSync(blob)).toBe(true);

    expect((await p.api(u.key, "POST", `/api/v1/jobs/${job.body.id}/cancel`)).status).toBe(200);
    expect((await p.api(u.key, "DELETE", `/api/v1/files/${f.body.id}`)).status).toBe(204);
    expect(existsSync(blob)).toBe(false);
  });
});

describe("rate limits", () => {
  it("uploads: past UPLOAD_RATE_LIMIT_PER_MINUTE per key → 429 with Retry-After, nothing stored", async () => {
    const u = await p.user();
    for (let i = 0; i < 4; i++) expect((await upload(u.key, 10)).status).toBe(201);
    const r = await upload(u.key, 10);
    expectError(r, 429, "rate_limited");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    const files: { n: number }[] = await p.ctx.ds.query(`SELECT count(*)::int AS n FROM files WHERE user_id = $1`, [u.id]);
    expect(files[0]!.n).toBe(4);
  });

  it("purchases: past PURCHASE_RATE_LIMIT_PER_MINUTE per key → 429 with Retry-After", async () => {
    const u = await p.user();
    const body = { package_id: "starter" };
    // Stripe is not configured here (503 unavailable), but the budget is counted before.
    for (let i = 0; i < 2; i++) expect((await p.api(u.key, "POST", "/api/v1/credits/purchase", body)).status).not.toBe(429);
    const r = await p.api(u.key, "POST", "/api/v1/credits/purchase", body);
    expectError(r, 429, "rate_limited");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("event streams: more than SSE_MAX_STREAMS_PER_KEY open at once → 429 with Retry-After; closing one frees a place", async () => {
    const u = await p.user({ credits: 10 });
    const job = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 1 } });
    const open = async () => {
      const ac = new AbortController();
      const res = await fetch(`${p.url}/api/v1/jobs/${job.body.id}/events`, { headers: { authorization: `Bearer ${u.key}` }, signal: ac.signal });
      return { res, ac };
    };
    const a = await open();
    const b = await open();
    expect([a.res.status, b.res.status]).toEqual([200, 200]);
    const c = await open();
    expect(c.res.status).toBe(429);
    expect(Number(c.res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await c.res.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    a.ac.abort();
    await waitFor(async () => {
      const d = await open();
      d.ac.abort();
      return d.res.status === 200;
    }, { what: "a place freed" });
    b.ac.abort();
  });
});
