/**
 * The admin audit log: every admin credit action (add, remove, pause,
 * resume, dispute review and resolution) writes one entry with before and
 * after, the reason and the request's X-Request-Id, in the action's own
 * transaction: a refused action or an idempotent replay writes none. And the
 * dispute statistics, on a database of this file's own.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordAudit } from "../../src/audit/audit-log";
import { ManualClock } from "../../src/clock";
import * as ledger from "../../src/ledger";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";
import { expectError } from "./support";

let p: Platform;
let admin: { id: string; key: string };
const clock = new ManualClock(new Date("2030-01-01T00:00:00Z"));

beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, clock, env: { RATE_LIMIT_PER_MINUTE: "0" } });
  admin = await p.user({ role: "admin" });
});
afterAll(async () => {
  await p?.close();
});

const api = (key: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  p.api(key, method, `/api/v1${path}`, body, headers);

const auditOf = async (userId: string) => (await api(admin.key, "GET", `/admin/audit?user_id=${userId}`)).body.data as {
  id: string; actor_id: string; action: string; user_id: string; before: Record<string, unknown>; after: Record<string, unknown>;
  reason: string | null; request_id: string; created_at: string;
}[];

/** A charge of `amount` that belongs to no job, for disputes without running jobs. */
async function charge(userId: string, amount: number): Promise<string> {
  const holdId = randomUUID();
  const postId = randomUUID();
  await p.ctx.ds.transaction(async (m) => {
    await ledger.hold(m, { id: holdId, userId, amount });
    await ledger.post(m, { id: postId, pendingId: holdId, amount });
  });
  return postId;
}

// First: the numbers are of this file's database, before the other tests add disputes.
describe("dispute statistics", () => {
  it("counts by status and outcome, credits refunded, the median hours to resolve and the top reasons", async () => {
    const empty = (await api(admin.key, "GET", "/admin/disputes/stats")).body;
    const u = await p.user({ credits: 200 });
    const open = async (reason: string, amount: number) =>
      (await api(u.key, "POST", "/disputes", { transaction_id: await charge(u.id, amount), reason, description: "x" })).body.id as string;
    // Resolved after 1, 2 and 6 hours: median 2. One stays open, one under review.
    const start = clock.now();
    const a = await open("quality", 10);
    const b = await open("quality", 10);
    const c = await open("failed_job", 10);
    await open("quality", 5);
    const e = await open("other", 5);
    await api(admin.key, "POST", `/admin/disputes/${e}/review`, {});
    const resolveAt = async (id: string, hours: number, body: unknown) => {
      clock.set(new Date(start.getTime() + hours * 3600_000));
      expect((await api(admin.key, "POST", `/admin/disputes/${id}/resolve`, body)).status).toBe(200);
    };
    await resolveAt(a, 1, { outcome: "refund", credits: 3, note: "x" });
    await resolveAt(b, 2, { outcome: "refund", note: "x" });
    await resolveAt(c, 6, { outcome: "reject", note: "x" });

    const s = (await api(admin.key, "GET", "/admin/disputes/stats")).body;
    expect(empty).toEqual({ by_status: { open: 0, under_review: 0, resolved: 0 }, by_outcome: { refunded: 0, rejected: 0 }, refunded_credits: 0, median_hours_to_resolve: null, top_reasons: [] });
    expect(s).toEqual({
      by_status: { open: 1, under_review: 1, resolved: 3 },
      by_outcome: { refunded: 2, rejected: 1 },
      refunded_credits: 13,
      median_hours_to_resolve: 2,
      top_reasons: [{ reason: "quality", count: 3 }, { reason: "failed_job", count: 1 }, { reason: "other", count: 1 }],
    });

    // The user's list pages through all five, newest first (ties on the manual clock broken by id).
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page = await api(u.key, "GET", `/disputes?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((x: { id: string }) => x.id));
      cursor = page.body.next_cursor;
    }
    expect(new Set(seen).size).toBe(5);
    expect(seen).toEqual(expect.arrayContaining([a, b, c, e]));
    expect((await api(u.key, "GET", "/disputes?status=resolved")).body.data).toHaveLength(3);
  });
});

describe("admin credit actions", () => {
  it("add, remove, pause and resume each write one entry with before, after, reason and the request id", async () => {
    const u = await p.user({ credits: 10 });
    const add = await api(admin.key, "POST", "/admin/credits/add", { user_id: u.id, amount: 50, description: "Welcome", reason: "Ticket #1" });
    expect(add.status).toBe(201);
    const rm = await api(admin.key, "POST", "/admin/credits/remove", { user_id: u.id, amount: 20, description: "Correction" });
    expect(rm.status).toBe(201);
    const pause = await api(admin.key, "POST", "/admin/credits/pause", { user_id: u.id, reason: "Chargeback pending" });
    expect(pause.body.status).toBe("paused");
    const resume = await api(admin.key, "POST", "/admin/credits/resume", { user_id: u.id });
    expect(resume.body.status).toBe("active");

    const entries = await auditOf(u.id);
    expect(entries.map((e) => e.action)).toEqual(["credits.resume", "credits.pause", "credits.remove", "credits.add"]);
    const [res, pau, rem, ad] = entries;
    const ids = [resume, pause, rm, add].map((r) => r.headers.get("x-request-id"));
    expect(new Set(ids).size).toBe(4);
    expect(entries.map((e) => e.request_id)).toEqual(ids);
    for (const e of entries) expect(e).toMatchObject({ actor_id: admin.id, user_id: u.id });
    expect(ad).toMatchObject({
      reason: "Ticket #1",
      before: { credit_type: "standard", available: 10, posted: 10, held: 0 },
      after: { credit_type: "standard", available: 60, posted: 60, held: 0, transaction_id: add.body.transaction.id },
    });
    expect(rem).toMatchObject({ reason: "Correction", before: { available: 60, posted: 60 }, after: { available: 40, posted: 40, transaction_id: rm.body.transaction.id } });
    expect(pau).toMatchObject({ reason: "Chargeback pending", before: { status: "active" }, after: { status: "paused" } });
    expect(res).toMatchObject({ reason: null, before: { status: "paused" }, after: { status: "active" } });
  });

  it("a refused action writes nothing; an idempotent replay writes nothing more", async () => {
    const u = await p.user({ credits: 5 });
    expectError(await api(admin.key, "POST", "/admin/credits/remove", { user_id: u.id, amount: 6, description: "Too much" }), 402, "insufficient_credits");
    expect(await auditOf(u.id)).toEqual([]);
    const key = randomUUID();
    const body = { user_id: u.id, amount: 3, description: "Once" };
    const replies = await Promise.all(Array.from({ length: 4 }, () => api(admin.key, "POST", "/admin/credits/add", body, { "Idempotency-Key": key })));
    expect(replies.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect((await auditOf(u.id)).map((e) => e.action)).toEqual(["credits.add"]);
    expectError(await api(admin.key, "POST", "/admin/credits/pause", { user_id: randomUUID() }), 404, "not_found");
  });

  it("an entry commits with its action or not at all", async () => {
    const u = await p.user();
    await expect(p.ctx.ds.transaction(async (m) => {
      await recordAudit(m, { actorId: admin.id, requestId: null, action: "credits.pause", userId: u.id, before: { status: "active" }, after: { status: "paused" } });
      throw new Error("the action failed");
    })).rejects.toThrow("the action failed");
    expect(await auditOf(u.id)).toEqual([]);
  });
});

describe("dispute actions and the list", () => {
  it("review and resolve are audited with the balance before and after the refund", async () => {
    const u = await p.user({ credits: 30 });
    const tx = await charge(u.id, 10);
    const d = (await api(u.key, "POST", "/disputes", { transaction_id: tx, reason: "wrong_charge", description: "x" })).body;
    const review = await api(admin.key, "POST", `/admin/disputes/${d.id}/review`, { note: "Looking" });
    const resolve = await api(admin.key, "POST", `/admin/disputes/${d.id}/resolve`, { outcome: "refund", credits: 4, note: "Fair" });
    const [res, rev] = await auditOf(u.id);
    expect(rev).toMatchObject({
      action: "dispute.review", actor_id: admin.id, reason: "Looking", request_id: review.headers.get("x-request-id"),
      before: { dispute_id: d.id, status: "open" }, after: { dispute_id: d.id, status: "under_review" },
    });
    expect(res).toMatchObject({
      action: "dispute.resolve", reason: "Fair", request_id: resolve.headers.get("x-request-id"),
      before: { dispute_id: d.id, status: "under_review", outcome: null, refunded_credits: 0, balance: { available: 20, posted: 20 } },
      after: { dispute_id: d.id, status: "resolved", outcome: "refunded", refunded_credits: 4, balance: { available: 24, posted: 24 } },
    });
  });

  it("pages newest first, filters by user, and is for admins only", async () => {
    const u = await p.user({ credits: 1 });
    for (const amount of [1, 2, 3]) await api(admin.key, "POST", "/admin/credits/add", { user_id: u.id, amount, description: `+${amount}` });
    const first = await api(admin.key, "GET", `/admin/audit?user_id=${u.id}&limit=2`);
    expect(first.body.data.map((e: { after: { posted: number } }) => e.after.posted)).toEqual([7, 4]);
    const next = await api(admin.key, "GET", `/admin/audit?user_id=${u.id}&limit=2&cursor=${first.body.next_cursor}`);
    expect(next.body).toEqual({ data: [expect.objectContaining({ after: expect.objectContaining({ posted: 2 }) })], next_cursor: null });
    const all = await api(admin.key, "GET", "/admin/audit?action=credits.add&limit=200");
    expect(all.body.data.every((e: { action: string }) => e.action === "credits.add")).toBe(true);
    expectError(await api(u.key, "GET", "/admin/audit"), 403, "forbidden");
    expectError(await api(admin.key, "GET", "/admin/audit?user_id=nope"), 400, "invalid_request");
  });
});
