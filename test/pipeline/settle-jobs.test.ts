/**
 * settleJobs: settleJob for many jobs, of several users, in one statement
 * (fenced job updates + ledger_settle_many). Every item must come out
 * exactly as settleJob would give it — the same result, job row and ledger
 * rows (checked against twin jobs settled one by one) — with the `from` and
 * attempt fences applied per item, and a hold the ledger refuses failing only
 * its own item (the batch falls back to one statement per job).
 * db.close() runs the ledger invariant checker.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobStatus } from "../../src/entities/job";
import { type FinishJob, settleJob, settleJobs } from "../../src/jobs/store";
import { derivedId } from "../../src/lib/ids";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { createTestDb, type TestDb } from "../helpers/db";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

type Item = Omit<FinishJob, "from">;

async function newUser(credits: number): Promise<string> {
  const { user } = await createUser(db.ds.manager, { email: `${randomUUID()}@example.com` });
  // Two lots, so a charge can burn across both.
  await ledger.grant(db.ds.manager, { id: randomUUID(), userId: user.id, amount: 3, category: "promotional" });
  await ledger.grant(db.ds.manager, { id: randomUUID(), userId: user.id, amount: credits - 3, category: "purchase" });
  return user.id;
}

/** A job holding `held` credits, as submitJob leaves it; then running at `attempt` if given. */
async function newJob(userId: string, held: number, attempt?: number): Promise<string> {
  const jobId = randomUUID();
  await db.ds.transaction(async (m) => {
    await m.query(
      `INSERT INTO jobs (id, user_id, kind, input, credit_type, credits_estimated, hold_transfer_id, max_attempts)
       VALUES ($1, $2, 'test', '{}', 'standard', $3, $1, 3)`,
      [jobId, userId, held],
    );
    await ledger.hold(m, { id: jobId, userId, amount: held, jobId, expiresAt: new Date(Date.now() + 3_600_000) });
  });
  if (attempt !== undefined) {
    await db.ds.query(`UPDATE jobs SET status = 'running', attempt = $2, started_at = now() WHERE id = $1`, [jobId, attempt]);
  }
  return jobId;
}

/** A job's row as a caller sees it after the ending. */
async function jobRow(id: string) {
  const [r] = (await db.ds.query(
    `SELECT status, result, error_type, error_message, progress, credits_charged::int AS charged, credits_refunded::int AS refunded,
            finished_at IS NOT NULL AS finished, attempt
       FROM jobs WHERE id = $1`,
    [id],
  )) as Record<string, unknown>[];
  return r!;
}

/** The ledger's rows for a job's hold (ids by role) and its pending state. */
async function holdRows(jobId: string) {
  const rows: { id: string; kind: string; type: string; amount: number; description: string | null }[] = await db.ds.query(
    `SELECT id, kind, type, amount::int AS amount, description FROM ledger_transfers WHERE job_id = $1 ORDER BY kind, type`, [jobId],
  );
  const [p] = (await db.ds.query(
    `SELECT state, posted_amount::int AS posted, resolved_by FROM ledger_pending WHERE transfer_id = $1`, [jobId],
  )) as { state: string; posted: number; resolved_by: string | null }[];
  const settleId = derivedId(jobId, "settle");
  const role = (id: string) => (id === jobId ? "hold" : id === settleId ? "settle" : "other");
  return {
    rows: rows.map((r) => ({ ...r, id: role(r.id) })),
    pending: p && { ...p, resolved_by: p.resolved_by && role(p.resolved_by) },
  };
}

/** The xmin of each job row: rows written by one statement share the transaction that wrote them. */
async function writers(ids: string[]): Promise<Map<string, string>> {
  const rows: { id: string; xmin: string }[] = await db.ds.query(`SELECT id, xmin::text AS xmin FROM jobs WHERE id = ANY ($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id, r.xmin]));
}

/** Every kind of ending a worker (or the reaper) sends, on a hold of `held`. */
function endings(held: number): ((jobId: string, attempt: number | null) => Item)[] {
  return [
    (jobId, attempt) => ({ jobId, attempt, status: "succeeded", charge: held - 1, releaseType: "release", result: { ok: 1 } }),
    (jobId, attempt) => ({ jobId, attempt, status: "succeeded", charge: held + 5, releaseType: "release", result: [1, "two"] }),
    (jobId, attempt) => ({ jobId, attempt, status: "failed", charge: 1, releaseType: "release", error: { type: "user", message: "bad input" } }),
    (jobId, attempt) => ({ jobId, attempt, status: "failed", charge: 0, releaseType: "refund", error: { type: "system", message: "down" } }),
    (jobId, attempt) => ({ jobId, attempt, status: "canceled", charge: 0, releaseType: "release" }),
    (jobId, attempt) => ({
      jobId, attempt, status: "failed", charge: 0, releaseType: "refund", expire: true, error: { type: "system", message: "lost" },
    }),
    (jobId, attempt) => ({ jobId, attempt, status: "succeeded", charge: 2.7, releaseType: "release", result: null }),
  ];
}

describe("settleJobs gives each job what settleJob gives it", () => {
  it("seven kinds of ending over jobs of four users, against twin jobs settled one by one", async () => {
    const USERS = 4;
    const HELD = 4;
    const kinds = endings(HELD);
    const users = await Promise.all(Array.from({ length: USERS }, () => newUser(30)));
    const twinUsers = await Promise.all(Array.from({ length: USERS }, () => newUser(30)));
    const batch: Item[] = [];
    const twins: Item[] = [];
    // Jobs of the four users interleaved; every kind of ending, at attempts 1..3 (and one fenced on no attempt).
    for (let k = 0; k < 2 * kinds.length; k++) {
      const u = k % USERS;
      const attempt = 1 + (k % 3);
      const a = await newJob(users[u]!, HELD, attempt);
      const b = await newJob(twinUsers[u]!, HELD, attempt);
      const fenced = k === 5 ? null : attempt;
      batch.push(kinds[k % kinds.length]!(a, fenced));
      twins.push(kinds[k % kinds.length]!(b, fenced));
    }
    const out = await settleJobs(db.ds, ["running"], batch);
    const one = [];
    for (const f of twins) one.push(await settleJob(db.ds, { ...f, from: ["running"] }));

    expect(out).toEqual(one);
    expect(out.every((o) => o !== null && !(o instanceof Error))).toBe(true);
    for (let i = 0; i < batch.length; i++) {
      expect(await jobRow(batch[i]!.jobId), `job ${i}`).toEqual(await jobRow(twins[i]!.jobId));
      expect(await holdRows(batch[i]!.jobId), `job ${i}`).toEqual(await holdRows(twins[i]!.jobId));
    }
    for (let u = 0; u < USERS; u++) expect(await ledger.balances(db.ds.manager, users[u]!)).toEqual(await ledger.balances(db.ds.manager, twinUsers[u]!));
    // Nothing is held any more; the charges match the job rows.
    const charged = out.reduce((s, o) => s + (o as { charged: number }).charged, 0);
    const spent = await Promise.all(users.map((u) => ledger.balances(db.ds.manager, u)));
    expect(spent.reduce((s, b) => s + b.held, 0)).toBe(0);
    expect(spent.reduce((s, b) => s + (30 - b.posted), 0)).toBe(charged);
    // One statement wrote every job row.
    expect(new Set((await writers(batch.map((f) => f.jobId))).values()).size).toBe(1);

    // The same endings again: every job is already final, so each is null, and nothing changes.
    const before = await Promise.all(batch.map((f) => jobRow(f.jobId)));
    expect(await settleJobs(db.ds, ["running"], batch)).toEqual(batch.map(() => null));
    expect(await Promise.all(batch.map((f) => jobRow(f.jobId)))).toEqual(before);
  });

  it("the fences apply per item: a stale attempt, a job not in a `from` status and an unknown job are null; the rest settle", async () => {
    const u1 = await newUser(20);
    const u2 = await newUser(20);
    const current = await newJob(u1, 5, 2);
    const stale = await newJob(u2, 4, 3);
    const queued = await newJob(u1, 3);
    const other = await newJob(u2, 6, 1);
    const unknown = randomUUID();
    const items: Item[] = [
      { jobId: current, attempt: 2, status: "succeeded", charge: 5, releaseType: "release" },
      { jobId: stale, attempt: 2, status: "succeeded", charge: 4, releaseType: "release" },
      { jobId: queued, attempt: null, status: "canceled", charge: 0, releaseType: "release" },
      { jobId: unknown, attempt: 1, status: "failed", charge: 0, releaseType: "refund", error: { type: "system", message: "x" } },
      { jobId: other, attempt: 1, status: "failed", charge: 0, releaseType: "refund", error: { type: "system", message: "x" } },
    ];
    expect(await settleJobs(db.ds, ["running"], items)).toEqual([
      { status: "succeeded", charged: 5, refunded: 0 },
      null,
      null,
      null,
      { status: "failed", charged: 0, refunded: 6 },
    ]);
    expect(await jobRow(stale)).toMatchObject({ status: "running", attempt: 3, charged: 0, refunded: 0, finished: false });
    expect(await jobRow(queued)).toMatchObject({ status: "queued", charged: 0, refunded: 0, finished: false });
    expect((await holdRows(stale)).pending).toEqual({ state: "pending", posted: 0, resolved_by: null });
    expect((await holdRows(queued)).pending).toEqual({ state: "pending", posted: 0, resolved_by: null });
    expect(await ledger.balances(db.ds.manager, u1)).toMatchObject({ held: 3, posted: 15 });
    expect(await ledger.balances(db.ds.manager, u2)).toMatchObject({ held: 4, posted: 20 });

    // The fenced-out ones with the right attempt and `from`: now they settle.
    expect(await settleJobs(db.ds, ["running", "queued"], [
      { jobId: stale, attempt: 3, status: "succeeded", charge: 1, releaseType: "release" },
      { jobId: queued, attempt: null, status: "canceled", charge: 0, releaseType: "release" },
    ])).toEqual([{ status: "succeeded", charged: 1, refunded: 3 }, { status: "canceled", charged: 0, refunded: 3 }]);
    expect(await ledger.balances(db.ds.manager, u1)).toMatchObject({ held: 0, posted: 15, available: 15 });
    expect(await ledger.balances(db.ds.manager, u2)).toMatchObject({ held: 0, posted: 19, available: 19 });
  });

  it("all items fenced out, or none at all: nulls / an empty list, nothing written", async () => {
    const u = await newUser(10);
    const a = await newJob(u, 2, 1);
    const b = await newJob(u, 2, 1);
    expect(await settleJobs(db.ds, ["running"], [])).toEqual([]);
    expect(await settleJobs(db.ds, ["queued"], [
      { jobId: a, attempt: 1, status: "succeeded", charge: 1, releaseType: "release" },
      { jobId: b, attempt: 1, status: "succeeded", charge: 1, releaseType: "release" },
    ])).toEqual([null, null]);
    expect(await ledger.balances(db.ds.manager, u)).toMatchObject({ held: 4, posted: 10 });
  });
});

describe("a hold the ledger refuses fails only its own item", () => {
  async function setUp() {
    const u1 = await newUser(20);
    const u2 = await newUser(20);
    const ok1 = await newJob(u1, 5, 1);
    const ok2 = await newJob(u2, 4, 1);
    return { u1, u2, ok1, ok2 };
  }

  it("a job whose hold reference names a grant (not_found): that item an Error, job untouched; the others settled", async () => {
    const { u1, u2, ok1, ok2 } = await setUp();
    const grantId = randomUUID();
    await ledger.grant(db.ds.manager, { id: grantId, userId: u2, amount: 2, category: "admin" });
    const bad = randomUUID();
    await db.ds.query(
      `INSERT INTO jobs (id, user_id, kind, input, credit_type, credits_estimated, hold_transfer_id, max_attempts, status, attempt, started_at)
       VALUES ($1, $2, 'test', '{}', 'standard', 2, $3, 3, 'running', 1, now())`,
      [bad, u2, grantId],
    );
    const out = await settleJobs(db.ds, ["running"], [
      { jobId: ok1, attempt: 1, status: "succeeded", charge: 3, releaseType: "release" },
      { jobId: bad, attempt: 1, status: "succeeded", charge: 2, releaseType: "release" },
      { jobId: ok2, attempt: 1, status: "failed", charge: 0, releaseType: "refund", error: { type: "system", message: "down" } },
    ]);
    expect(out[0]).toEqual({ status: "succeeded", charged: 3, refunded: 2 });
    expect(out[1]).toBeInstanceOf(Error);
    expect((out[1] as Error).message).toMatch(/ledger_settle refused: not_found/);
    expect(out[2]).toEqual({ status: "failed", charged: 0, refunded: 4 });
    expect(await jobRow(bad)).toMatchObject({ status: "running", charged: 0, refunded: 0, finished: false });
    expect(await jobRow(ok1)).toMatchObject({ status: "succeeded", charged: 3, refunded: 2, finished: true });
    expect(await jobRow(ok2)).toMatchObject({ status: "failed", charged: 0, refunded: 4, finished: true });
    // Settled once each, by statements of their own (the fallback).
    expect((await holdRows(ok1)).rows.map((r) => r.id).sort()).toEqual(["hold", "other", "settle"]);
    const x = await writers([ok1, ok2]);
    expect(x.get(ok1)).not.toBe(x.get(ok2));
    expect(await ledger.balances(db.ds.manager, u1)).toMatchObject({ held: 0, posted: 17 });
    expect(await ledger.balances(db.ds.manager, u2)).toMatchObject({ held: 0, posted: 22 });
    await db.ds.query(`DELETE FROM jobs WHERE id = $1`, [bad]);
  });

  it("a charge above what the hold holds (exceeds_hold) and a settlement id already in use (HF409): only those items fail", async () => {
    const { u1, u2, ok1, ok2 } = await setUp();
    // The job row promises more than its hold holds.
    const short = await newJob(u1, 3, 1);
    await db.ds.query(`UPDATE jobs SET credits_estimated = 6 WHERE id = $1`, [short]);
    // The job's settlement id is already a grant's id.
    const taken = await newJob(u2, 3, 1);
    await ledger.grant(db.ds.manager, { id: derivedId(taken, "settle"), userId: u2, amount: 1, category: "admin" });
    const out = await settleJobs(db.ds, ["running"], [
      { jobId: short, attempt: 1, status: "succeeded", charge: 6, releaseType: "release" },
      { jobId: ok1, attempt: 1, status: "succeeded", charge: 5, releaseType: "release" },
      { jobId: taken, attempt: 1, status: "succeeded", charge: 1, releaseType: "release" },
      { jobId: ok2, attempt: 1, status: "canceled", charge: 0, releaseType: "release" },
    ]);
    expect(out[0]).toBeInstanceOf(Error);
    expect((out[0] as Error).message).toMatch(/exceeds_hold/);
    expect(out[1]).toEqual({ status: "succeeded", charged: 5, refunded: 0 });
    expect(out[2]).toBeInstanceOf(Error);
    expect((out[2] as { code?: string }).code).toBe("HF409");
    expect(out[3]).toEqual({ status: "canceled", charged: 0, refunded: 4 });
    for (const id of [short, taken]) {
      expect(await jobRow(id)).toMatchObject({ status: "running", charged: 0, refunded: 0, finished: false });
      expect((await holdRows(id)).pending).toEqual({ state: "pending", posted: 0, resolved_by: null });
    }
    expect(await ledger.balances(db.ds.manager, u1)).toMatchObject({ held: 3, posted: 15 });
    expect(await ledger.balances(db.ds.manager, u2)).toMatchObject({ held: 3, posted: 21 });
    // Clean up so the books stay true: release the two holds and finish their jobs.
    await db.ds.query(`UPDATE jobs SET credits_estimated = 3 WHERE id = $1`, [short]);
    expect(await settleJob(db.ds, { jobId: short, attempt: 1, from: ["running"], status: "failed", charge: 0, releaseType: "refund" }))
      .toEqual({ status: "failed", charged: 0, refunded: 3 });
    await ledger.voidHold(db.ds.manager, { id: randomUUID(), pendingId: taken });
    await db.ds.query(`UPDATE jobs SET status = 'failed', finished_at = now(), credits_refunded = 3 WHERE id = $1`, [taken]);
  });

  it("a job whose hold was voided behind its back does not fail the batch: it reports the ledger's resolution and keeps its row true", async () => {
    const { u1, u2, ok1, ok2 } = await setUp();
    const voided = await newJob(u1, 4, 1);
    await ledger.voidHold(db.ds.manager, { id: randomUUID(), pendingId: voided, releaseType: "release" });
    const twinUser = await newUser(20);
    const twin = await newJob(twinUser, 4, 1);
    await ledger.voidHold(db.ds.manager, { id: randomUUID(), pendingId: twin, releaseType: "release" });

    const out = await settleJobs(db.ds, ["running"], [
      { jobId: ok1, attempt: 1, status: "succeeded", charge: 2, releaseType: "release" },
      { jobId: voided, attempt: 1, status: "succeeded", charge: 3, releaseType: "release" },
      { jobId: ok2, attempt: 1, status: "succeeded", charge: 4, releaseType: "release" },
    ]);
    const single = await settleJob(db.ds, { jobId: twin, attempt: 1, from: ["running"], status: "succeeded", charge: 3, releaseType: "release" });
    expect(out).toEqual([{ status: "succeeded", charged: 2, refunded: 3 }, single, { status: "succeeded", charged: 4, refunded: 0 }]);
    expect(single).toEqual({ status: "succeeded", charged: 0, refunded: 4 });
    expect(await jobRow(voided)).toEqual(await jobRow(twin));
    expect(await jobRow(voided)).toMatchObject({ status: "succeeded", charged: 0, refunded: 4 });
    // The batch went through in one statement (no fallback): one writer for the other two job rows.
    expect(new Set((await writers([ok1, ok2])).values()).size).toBe(1);
    expect(await ledger.balances(db.ds.manager, u1)).toMatchObject({ held: 0, posted: 18 });
    expect(await ledger.balances(db.ds.manager, u2)).toMatchObject({ held: 0, posted: 16 });
  });

  it("one item alone goes through settleJob and resolves to an Error rather than rejecting", async () => {
    const u = await newUser(10);
    const grantId = randomUUID();
    await ledger.grant(db.ds.manager, { id: grantId, userId: u, amount: 1, category: "admin" });
    const bad = randomUUID();
    await db.ds.query(
      `INSERT INTO jobs (id, user_id, kind, input, credit_type, credits_estimated, hold_transfer_id, max_attempts, status, attempt)
       VALUES ($1, $2, 'test', '{}', 'standard', 1, $3, 3, 'running', 1)`,
      [bad, u, grantId],
    );
    const [r] = await settleJobs(db.ds, ["running"], [{ jobId: bad, attempt: 1, status: "succeeded", charge: 1, releaseType: "release" }]);
    expect(r).toBeInstanceOf(Error);
    expect(await jobRow(bad)).toMatchObject({ status: "running" });
    await db.ds.query(`DELETE FROM jobs WHERE id = $1`, [bad]);
  });
});

describe("concurrent settleJobs batches of different users", () => {
  it("8 batches at once, each of one user's 6 jobs (as the worker sends them), all settle exactly once", async () => {
    const USERS = 8;
    const users = await Promise.all(Array.from({ length: USERS }, () => newUser(40)));
    const jobs: { userId: string; ids: string[] }[] = [];
    for (const u of users) jobs.push({ userId: u, ids: await Promise.all(Array.from({ length: 6 }, () => newJob(u, 5, 1))) });
    const from: JobStatus[] = ["running"];
    const out = await Promise.all(jobs.map((j) => settleJobs(db.ds, from, j.ids.map((jobId, k) => ({
      jobId, attempt: 1, status: "succeeded" as const, charge: k, releaseType: "release" as const,
    })))));
    out.forEach((o) => expect(o).toEqual([0, 1, 2, 3, 4, 5].map((k) => ({ status: "succeeded", charged: k, refunded: 5 - k }))));
    for (const u of users) expect(await ledger.balances(db.ds.manager, u)).toMatchObject({ held: 0, posted: 40 - 15, available: 25 });
  });
});
