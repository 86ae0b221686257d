/**
 * Disputes over HTTP against the real platform (API, job worker, mail worker,
 * SMTP on loopback): the whole lifecycle with its emails, every 4xx of
 * API.md, one unresolved dispute per item under concurrent opens, exactly one
 * refund under concurrent resolves and Idempotency-Key replays, and never more
 * given back than the item was charged.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { derivedId } from "../../src/lib/ids";
import { type BillingBed, emailOf, startBillingBed, waitForMail } from "../billing/harness";
import { waitFor } from "../helpers/platform";
import { failure } from "../helpers/util";
import { expectError, issuePaths } from "./support";

const ADMIN_EMAIL = "ops@holdfast.test";
let bed: BillingBed;
let admin: { id: string; key: string };

beforeAll(async () => {
  bed = await startBillingBed({ stripe: false, env: { ADMIN_EMAIL, RATE_LIMIT_PER_MINUTE: "0" } });
  admin = await bed.p.user({ role: "admin" });
});
afterAll(async () => {
  await bed?.close();
});

const api = (key: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  bed.p.api(key, method, `/api/v1${path}`, body, headers);

/** A finished job of `u` that charged `use` of a `cost` hold (use 0 + fail system → refunded, nothing charged). */
async function chargedJob(key: string, input: Record<string, unknown>) {
  const sub = await api(key, "POST", "/jobs", { kind: "test", input });
  expect(sub.status).toBe(202);
  return waitFor(async () => {
    const j = await api(key, "GET", `/jobs/${sub.body.id}`);
    return ["succeeded", "failed", "canceled"].includes(j.body.status) ? j.body : null;
  }, { what: `job ${sub.body.id} finished` });
}

/** A charge that belongs to no job (hold + post straight on the ledger, as the holds API does). */
async function standaloneCharge(userId: string, amount: number): Promise<string> {
  const holdId = randomUUID();
  const postId = randomUUID();
  await bed.p.ctx.ds.transaction(async (m) => {
    await ledger.hold(m, { id: holdId, userId, amount });
    await ledger.post(m, { id: postId, pendingId: holdId, amount });
  });
  return postId;
}

const refundsOf = (disputeId: string) =>
  bed.q<{ id: string; amount: string; job_id: string | null; type: string }>(
    `SELECT id, amount, job_id, type FROM ledger_transfers WHERE type = 'dispute_refund' AND metadata->>'dispute_id' = $1`, [disputeId]);

describe("the lifecycle", () => {
  it("open → under review → resolved with a refund: the shape, the job, the histories, the emails", async () => {
    const u = await bed.p.user({ credits: 100 });
    const email = await emailOf(bed, u.id);
    const job = await chargedJob(u.key, { cost: 10, use: 7 });
    expect(job.credits).toMatchObject({ charged: 7 });
    expect((await api(u.key, "GET", `/jobs/${job.id}`)).body.dispute).toBeNull();

    const opened = await api(u.key, "POST", "/disputes", { job_id: job.id, reason: "quality", description: "The output was empty." });
    expect(opened.status).toBe(201);
    const d = opened.body;
    expect(d).toEqual({
      id: expect.any(String), user_id: u.id, status: "open", job_id: job.id, transaction_id: null, disputed_credits: 7,
      reason: "quality", description: "The output was empty.", outcome: null, refunded_credits: 0, admin_note: null,
      created_at: expect.any(String), updated_at: expect.any(String), resolved_at: null,
    });
    await waitForMail(bed, email, "dispute_opened");
    const [copy] = await waitForMail(bed, ADMIN_EMAIL, "dispute_opened_admin");
    expect(copy!.text).toContain(email);
    expect(copy!.text).toContain("The output was empty.");

    // Read back: the owner and admins; nobody else.
    expect((await api(u.key, "GET", `/disputes/${d.id}`)).body).toEqual(d);
    expect((await api(admin.key, "GET", `/disputes/${d.id}`)).body).toEqual(d);
    const other = await bed.p.user();
    expectError(await api(other.key, "GET", `/disputes/${d.id}`), 404, "not_found");
    expect((await api(u.key, "GET", "/disputes")).body.data.map((x: { id: string }) => x.id)).toEqual([d.id]);
    expect((await api(other.key, "GET", "/disputes")).body.data).toEqual([]);
    expect((await api(u.key, "GET", `/jobs/${job.id}`)).body.dispute).toEqual({ id: d.id, status: "open", outcome: null, disputed_credits: 7, refunded_credits: 0 });
    expect((await api(admin.key, "GET", `/admin/disputes?status=open&user_id=${u.id}`)).body.data.map((x: { id: string }) => x.id)).toEqual([d.id]);

    const reviewed = await api(admin.key, "POST", `/admin/disputes/${d.id}/review`, {});
    expect(reviewed.status).toBe(200);
    expect(reviewed.body).toMatchObject({ id: d.id, status: "under_review", outcome: null });
    await waitForMail(bed, email, "dispute_under_review");
    expectError(await api(admin.key, "POST", `/admin/disputes/${d.id}/review`, {}), 409, "invalid_state");
    expect((await api(admin.key, "GET", "/admin/disputes?status=under_review")).body.data.map((x: { id: string }) => x.id)).toContain(d.id);

    bed.clock.advance(3 * 3600_000);
    const resolved = await api(admin.key, "POST", `/admin/disputes/${d.id}/resolve`, { outcome: "refund", credits: 5, note: "Partly our fault." });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ id: d.id, status: "resolved", outcome: "refunded", refunded_credits: 5, disputed_credits: 7, admin_note: "Partly our fault." });
    expect(Date.parse(resolved.body.resolved_at) - Date.parse(d.created_at)).toBe(3 * 3600_000);
    const [done] = await waitForMail(bed, email, "dispute_resolved");
    expect(done!.subject).toContain("5 credits returned");
    expect(done!.text).toContain("Partly our fault.");

    // One dispute_refund: consumption → user, a `dispute` lot, linked to the job, id derived from the dispute.
    expect((await bed.balance(u.id)).available).toBe(100 - 7 + 5);
    const [t] = await refundsOf(d.id);
    expect(t).toMatchObject({ id: derivedId(d.id, "dispute_refund"), amount: "5", job_id: job.id });
    const [legs] = await bed.q<{ debit: string; credit: string; category: string }>(
      `SELECT d.system_code AS debit, c.kind AS credit, l.category FROM ledger_transfers t
         JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id
         JOIN ledger_lots l ON l.grant_transfer_id = t.id WHERE t.id = $1`, [t!.id]);
    expect(legs).toEqual({ debit: "consumption", credit: "user", category: "dispute" });
    for (const [key, path] of [[u.key, "/credits/transactions"], [admin.key, `/admin/users/${u.id}/transactions`]] as const) {
      const h = await api(key, "GET", `${path}?type=dispute_refund`);
      expect(h.body.data).toEqual([expect.objectContaining({ id: t!.id, type: "dispute_refund", amount: 5, job_id: job.id })]);
      const byJob = await api(key, "GET", `${path}?job_id=${job.id}`);
      expect(byJob.body.data.map((x: { type: string }) => x.type)).toContain("dispute_refund");
    }
    expect((await api(u.key, "GET", `/jobs/${job.id}`)).body.dispute).toMatchObject({ id: d.id, status: "resolved", outcome: "refunded", refunded_credits: 5 });
    expect((await api(u.key, "GET", "/jobs")).body.data.find((j: { id: string }) => j.id === job.id).dispute).toMatchObject({ outcome: "refunded" });

    expectError(await api(admin.key, "POST", `/admin/disputes/${d.id}/resolve`, { outcome: "reject", note: "again" }), 409, "invalid_state");
    expect(await refundsOf(d.id)).toHaveLength(1);

    // The system's books still add up: the refund is given-back spending, not a released hold.
    const sys = (await api(admin.key, "GET", "/admin/credits/system/summary")).body;
    expect(sys.dispute_refunded).toBeGreaterThanOrEqual(5);
    expect(sys.outstanding).toBe(sys.issued - sys.spent + sys.dispute_refunded - sys.expired - sys.removed);
  });

  it("a rejection straight from open gives nothing back and says so by email", async () => {
    const u = await bed.p.user({ credits: 50 });
    const job = await chargedJob(u.key, { cost: 4 });
    const d = (await api(u.key, "POST", "/disputes", { job_id: job.id, reason: "other", description: "Too slow." })).body;
    const r = await api(admin.key, "POST", `/admin/disputes/${d.id}/resolve`, { outcome: "reject", note: "Worked as designed." });
    expect(r.body).toMatchObject({ status: "resolved", outcome: "rejected", refunded_credits: 0, admin_note: "Worked as designed." });
    expect(await refundsOf(d.id)).toHaveLength(0);
    expect((await bed.balance(u.id)).available).toBe(46);
    const [mail] = await waitForMail(bed, await emailOf(bed, u.id), "dispute_resolved");
    expect(mail!.text).toContain("could not refund");
  });

  it("disputes a charge that belongs to no job by its transaction id; the full refund is the default", async () => {
    const u = await bed.p.user({ credits: 40 });
    const tx = await standaloneCharge(u.id, 12);
    const d = (await api(u.key, "POST", "/disputes", { transaction_id: tx, reason: "wrong_charge", description: "Charged twice." })).body;
    expect(d).toMatchObject({ status: "open", job_id: null, transaction_id: tx, disputed_credits: 12 });
    expectError(await api(u.key, "POST", "/disputes", { transaction_id: tx, reason: "wrong_charge", description: "again" }), 409, "invalid_state");
    const r = await api(admin.key, "POST", `/admin/disputes/${d.id}/resolve`, { outcome: "refund", note: "Sorry." });
    expect(r.body).toMatchObject({ outcome: "refunded", refunded_credits: 12 });
    expect((await refundsOf(d.id)).map((t) => ({ amount: t.amount, job_id: t.job_id }))).toEqual([{ amount: "12", job_id: null }]);
    expect((await bed.balance(u.id)).available).toBe(40);
  });

  it("a job's charge transaction is the same item as the job", async () => {
    const u = await bed.p.user({ credits: 30 });
    const job = await chargedJob(u.key, { cost: 6, use: 5 });
    const [charge] = await bed.q<{ id: string }>(`SELECT id FROM ledger_transfers WHERE job_id = $1 AND type = 'charge'`, [job.id]);
    const byTx = await api(u.key, "POST", "/disputes", { transaction_id: charge!.id, reason: "wrong_charge", description: "Too much." });
    expect(byTx.body).toMatchObject({ job_id: job.id, transaction_id: charge!.id, disputed_credits: 5 });
    const byJob = await api(u.key, "POST", "/disputes", { job_id: job.id, reason: "quality", description: "Same job." });
    expectError(byJob, 409, "invalid_state");
    expect(byJob.body.error.details).toMatchObject({ dispute_id: byTx.body.id, status: "open" });
  });
});

describe("bad requests change nothing", () => {
  it("answers each 4xx of the contract", async () => {
    const u = await bed.p.user({ credits: 60 });
    const other = await bed.p.user({ credits: 60 });
    const job = await chargedJob(u.key, { cost: 3 });
    const othersJob = await chargedJob(other.key, { cost: 3 });
    const othersTx = await standaloneCharge(other.id, 2);
    const refunded = await chargedJob(u.key, { cost: 3, fail: "system" });
    expect(refunded).toMatchObject({ status: "failed", credits: { charged: 0 } });
    const [grant] = await bed.q<{ id: string }>(`SELECT id FROM ledger_transfers WHERE user_id = $1 AND type = 'grant'`, [u.id]);
    const count = async () => (await bed.q<{ n: number }>(`SELECT count(*)::int AS n FROM disputes`))[0]!.n;
    const before = await count();

    const bad: [unknown, string][] = [
      [{ reason: "quality", description: "x" }, "job_id"],
      [{ job_id: job.id, transaction_id: othersTx, reason: "quality", description: "x" }, "job_id"],
      [{ job_id: job.id, reason: "because", description: "x" }, "reason"],
      [{ job_id: job.id, reason: "quality", description: "" }, "description"],
      [{ job_id: "nope", reason: "quality", description: "x" }, "job_id"],
      [{ job_id: job.id, reason: "quality", description: "x", extra: 1 }, ""],
    ];
    for (const [body, path] of bad) {
      const r = await api(u.key, "POST", "/disputes", body);
      expectError(r, 400, "invalid_request");
      if (path) expect(issuePaths(r), JSON.stringify(body)).toContain(path);
    }
    // Nothing charged: a refunded job, a grant.
    expectError(await api(u.key, "POST", "/disputes", { job_id: refunded.id, reason: "failed_job", description: "x" }), 400, "invalid_request");
    expectError(await api(u.key, "POST", "/disputes", { transaction_id: grant!.id, reason: "wrong_charge", description: "x" }), 400, "invalid_request");
    // Someone else's, or nothing at all: 404 alike.
    for (const body of [{ job_id: othersJob.id }, { transaction_id: othersTx }, { job_id: randomUUID() }, { transaction_id: randomUUID() }]) {
      expectError(await api(u.key, "POST", "/disputes", { ...body, reason: "quality", description: "x" }), 404, "not_found");
    }
    expect(await count()).toBe(before);

    const d = (await api(u.key, "POST", "/disputes", { job_id: job.id, reason: "quality", description: "x" })).body;
    expectError(await api(u.key, "POST", "/disputes", { job_id: job.id, reason: "other", description: "twice" }), 409, "invalid_state");
    // Admin routes: users are refused; bad resolutions are 400; unknown disputes 404.
    expectError(await api(u.key, "POST", `/admin/disputes/${d.id}/resolve`, { outcome: "refund", note: "me" }), 403, "forbidden");
    expectError(await api(u.key, "POST", `/admin/disputes/${d.id}/review`, {}), 403, "forbidden");
    expectError(await api(u.key, "GET", "/admin/disputes"), 403, "forbidden");
    expectError(await api(u.key, "GET", "/admin/disputes/stats"), 403, "forbidden");
    for (const [body, path] of [
      [{ outcome: "refund", credits: 4, note: "more than disputed" }, "credits"],
      [{ outcome: "refund", credits: 0, note: "zero" }, "credits"],
      [{ outcome: "reject", credits: 1, note: "credits on a rejection" }, "credits"],
      [{ outcome: "refund" }, "note"],
      [{ outcome: "maybe", note: "x" }, "outcome"],
    ] as const) {
      const r = await api(admin.key, "POST", `/admin/disputes/${d.id}/resolve`, body);
      expectError(r, 400, "invalid_request");
      expect(issuePaths(r), JSON.stringify(body)).toContain(path);
    }
    for (const id of [randomUUID(), "nope"]) {
      expectError(await api(admin.key, "POST", `/admin/disputes/${id}/resolve`, { outcome: "reject", note: "x" }), 404, "not_found");
      expectError(await api(admin.key, "POST", `/admin/disputes/${id}/review`, {}), 404, "not_found");
      expectError(await api(u.key, "GET", `/disputes/${id}`), 404, "not_found");
    }
    expectError(await api(admin.key, "GET", "/admin/disputes?status=closed"), 400, "invalid_request");
    expect((await api(u.key, "GET", `/disputes/${d.id}`)).body).toMatchObject({ status: "open", refunded_credits: 0 });
    expect(await refundsOf(d.id)).toHaveLength(0);
  });
});

describe("races and retries", () => {
  it("of concurrent opens on one job exactly one succeeds; the database itself refuses a second unresolved dispute", async () => {
    const u = await bed.p.user({ credits: 20 });
    const job = await chargedJob(u.key, { cost: 5 });
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      api(u.key, "POST", "/disputes", { job_id: job.id, reason: "quality", description: `attempt ${i}` })));
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of replies.filter((x) => x.status === 409)) expectError(r, 409, "invalid_state");
    const [{ n }] = await bed.q<{ n: number }>(`SELECT count(*)::int AS n FROM disputes WHERE job_id = $1`, [job.id]);
    expect(n).toBe(1);
    // Bypassing the service: the partial unique index answers 23505.
    expect(await failure(bed.q(
      `INSERT INTO disputes (user_id, job_id, item_id, credit_type, item_charged, disputed_credits, reason, description)
       VALUES ($1, $2, $2, 'standard', 5, 5, 'other', 'sql')`, [u.id, job.id]))).toBe("23505");
  });

  it("of concurrent resolves exactly one wins and pays once", async () => {
    const u = await bed.p.user({ credits: 50 });
    const job = await chargedJob(u.key, { cost: 9 });
    const d = (await api(u.key, "POST", "/disputes", { job_id: job.id, reason: "failed_job", description: "x" })).body;
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      api(admin.key, "POST", `/admin/disputes/${d.id}/resolve`, i % 2 ? { outcome: "refund", note: `r${i}` } : { outcome: "reject", note: `j${i}` })));
    const won = replies.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    for (const r of replies.filter((x) => x.status !== 200)) expectError(r, 409, "invalid_state");
    const refunds = await refundsOf(d.id);
    const final = (await api(u.key, "GET", `/disputes/${d.id}`)).body;
    expect(final).toEqual(won[0]!.body);
    expect(refunds).toHaveLength(final.outcome === "refunded" ? 1 : 0);
    expect((await bed.balance(u.id)).available).toBe(50 - 9 + (final.outcome === "refunded" ? 9 : 0));
  });

  it("replays with one Idempotency-Key (concurrent and later) answer with the same dispute and pay once", async () => {
    const u = await bed.p.user({ credits: 50 });
    const job = await chargedJob(u.key, { cost: 8 });
    const d = (await api(u.key, "POST", "/disputes", { job_id: job.id, reason: "failed_job", description: "x" })).body;
    const key = randomUUID();
    const body = { outcome: "refund", credits: 6, note: "ok" };
    const replies = await Promise.all(Array.from({ length: 6 }, () =>
      api(admin.key, "POST", `/admin/disputes/${d.id}/resolve`, body, { "Idempotency-Key": key })));
    const later = await api(admin.key, "POST", `/admin/disputes/${d.id}/resolve`, body, { "Idempotency-Key": key });
    for (const r of [...replies, later]) {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id: d.id, status: "resolved", outcome: "refunded", refunded_credits: 6 });
    }
    expect([...replies, later].filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(6);
    expect(await refundsOf(d.id)).toHaveLength(1);
    expect((await bed.balance(u.id)).available).toBe(50 - 8 + 6);
    expectError(await api(admin.key, "POST", `/admin/disputes/${d.id}/resolve`, { ...body, credits: 7 }, { "Idempotency-Key": key }), 409, "idempotency_conflict");
    // The same key again opens only one dispute, too.
    const job2 = await chargedJob(u.key, { cost: 2 });
    const open = () => api(u.key, "POST", "/disputes", { job_id: job2.id, reason: "quality", description: "y" }, { "Idempotency-Key": key });
    const [a, b] = [await open(), await open()];
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
  });
});

describe("never more back than was charged", () => {
  it("a second dispute of the same job may claim only the rest; a fully refunded job cannot be disputed again", async () => {
    const u = await bed.p.user({ credits: 100 });
    const job = await chargedJob(u.key, { cost: 10, use: 7 });
    const first = (await api(u.key, "POST", "/disputes", { job_id: job.id, reason: "quality", description: "1" })).body;
    await api(admin.key, "POST", `/admin/disputes/${first.id}/resolve`, { outcome: "refund", credits: 3, note: "part" });

    const second = await api(u.key, "POST", "/disputes", { job_id: job.id, reason: "quality", description: "2" });
    expect(second.body).toMatchObject({ status: "open", disputed_credits: 4 });
    expectError(await api(admin.key, "POST", `/admin/disputes/${second.body.id}/resolve`, { outcome: "refund", credits: 5, note: "too much" }), 400, "invalid_request");
    const r = await api(admin.key, "POST", `/admin/disputes/${second.body.id}/resolve`, { outcome: "refund", note: "rest" });
    expect(r.body).toMatchObject({ refunded_credits: 4 });

    expectError(await api(u.key, "POST", "/disputes", { job_id: job.id, reason: "quality", description: "3" }), 400, "invalid_request");
    const [{ total }] = await bed.q<{ total: number }>(
      `SELECT sum(amount)::int AS total FROM ledger_transfers WHERE type = 'dispute_refund' AND job_id = $1`, [job.id]);
    expect(total).toBe(7);
    expect((await bed.balance(u.id)).available).toBe(100);
  });
});
