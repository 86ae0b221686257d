/** Batches: one check of the total, all or nothing; then every job settles its own share. */
import { unlink } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRICES } from "../../src/jobs/price-list";
import { waitFor } from "../helpers/platform";
import { jobCount, type KindsPlatform, startKindsPlatform } from "./setup";

let p: KindsPlatform;
beforeAll(async () => {
  p = await startKindsPlatform();
});
afterAll(async () => {
  await p?.close();
});

const wc = (text: string) => ({ kind: "script", input: { script: "wordcount", parameters: { text } } });
const batch = (key: string, jobs: unknown[], headers: Record<string, string> = {}) => p.api(key, "POST", "/api/v1/batches", { jobs }, headers);

async function batchCount(userId: string): Promise<number> {
  return Number((await p.ctx.ds.query(`SELECT count(*) AS n FROM batches WHERE user_id = $1`, [userId]))[0].n);
}

async function transferCount(userId: string): Promise<number> {
  return Number((await p.ctx.ds.query(`SELECT count(*) AS n FROM ledger_transfers WHERE user_id = $1`, [userId]))[0].n);
}

describe("admission", () => {
  it("a batch of 10 that the balance covers only 9 of → 402 and nothing is created", async () => {
    const price = PRICES.script.perRun;
    const u = await p.user({ credits: 9 * price });
    const transfersBefore = await transferCount(u.id);
    const r = await batch(u.key, Array.from({ length: 10 }, (_, i) => wc(`job ${i}`)));
    expect(r.status).toBe(402);
    expect(r.body.error).toMatchObject({ code: "insufficient_credits", details: { required: 10 * price, available: 9 * price, credit_type: "standard" } });
    expect(await jobCount(p, u.id)).toBe(0);
    expect(await batchCount(u.id)).toBe(0);
    expect(await transferCount(u.id)).toBe(transfersBefore);
    expect(await p.balance(u.id)).toEqual({ available: 9 * price, held: 0, posted: 9 * price });
    // …and the 9 it can afford go through.
    expect((await batch(u.key, Array.from({ length: 9 }, (_, i) => wc(`job ${i}`)))).status).toBe(202);
  });

  it("holds the total at once, one pending hold per job", async () => {
    const u = await p.user({ credits: 100 });
    const r = await batch(u.key, [wc("a"), wc("b"), { kind: "script", input: { script: "sleep", parameters: { seconds: 0 } } }]);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ credit_type: "standard", credits: { estimated: 5 + 5 + 2 } });
    expect(r.body.jobs).toHaveLength(3);
    for (const j of r.body.jobs) expect(j.batch_id).toBe(r.body.id);
    const holds = await p.ctx.ds.query(
      `SELECT t.job_id, t.amount FROM ledger_transfers t WHERE t.kind = 'pending' AND t.job_id = ANY ($1)`, [r.body.jobs.map((j: { id: string }) => j.id)],
    );
    expect(holds).toHaveLength(3);
  });
});

describe("settlement", () => {
  it("each job settles or refunds its own share; GET shows the jobs and the batch's credits", async () => {
    const u = await p.user({ credits: 100 });
    const good = (await p.api(u.key, "POST", "/api/v1/files", "one\ntwo\n", { "content-type": "text/plain" })).body;
    const lost = (await p.api(u.key, "POST", "/api/v1/files", "gone", { "content-type": "text/plain" })).body;
    const key = (await p.ctx.ds.query(`SELECT storage_key FROM files WHERE id = $1`, [lost.id]))[0].storage_key;
    await unlink(path.join(p.storageDir, key));

    const r = await batch(u.key, [
      wc("hello batch world"), // succeeds: 5
      { kind: "script", input: { script: "csv-stats", parameters: { csv: 'a\n"unclosed' } } }, // user failure, full: 8
      { kind: "file", input: { file_id: good.id, operation: "line-count" } }, // succeeds: 1 MB + 1
      { kind: "file", input: { file_id: lost.id, operation: "sha256" } }, // storage lost: refunded
    ]);
    expect(r.status).toBe(202);
    expect(r.body.credits).toEqual({ estimated: 5 + 8 + 2 + 2, held: 17, charged: 0, refunded: 0 });
    expect(await p.balance(u.id)).toMatchObject({ held: 17, available: 83 });

    const done = await waitFor(async () => {
      const b = await p.api(u.key, "GET", `/api/v1/batches/${r.body.id}`);
      return b.body.status === "finished" ? b.body : null;
    }, { timeoutMs: 30_000, what: "batch to finish" });
    expect(done.jobs.map((j: { id: string }) => j.id)).toEqual(r.body.jobs.map((j: { id: string }) => j.id));
    expect(done.jobs.map((j: { status: string; credits: { charged: number } }) => [j.status, j.credits.charged])).toEqual([
      ["succeeded", 5], ["failed", 8], ["succeeded", 2], ["failed", 0],
    ]);
    expect(done.jobs[3]).toMatchObject({ attempts: 3, error: { type: "system" }, credits: { refunded: 2 } });
    expect(done.counts).toEqual({ queued: 0, running: 0, succeeded: 2, failed: 2, canceled: 0 });
    expect(done.credits).toEqual({ estimated: 17, held: 0, charged: 15, refunded: 2 });
    expect(await p.balance(u.id)).toEqual({ available: 85, held: 0, posted: 85 });
  });
});

describe("validation", () => {
  it("lists every bad item by path and creates nothing", async () => {
    const u = await p.user({ credits: 100 });
    const r = await batch(u.key, [
      wc("fine"),
      { kind: "file", input: { file_id: "00000000-0000-4000-8000-000000000000", operation: "sha256" } },
      wc("fine too"),
      { kind: "script", input: { script: "wordcount", parameters: { text: 7 } } },
      { kind: "nope", input: {} },
    ]);
    expect(r.status).toBe(400);
    expect(r.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(["jobs.1.input.file_id", "jobs.3.input.parameters.text", "jobs.4.kind"]);
    expect(await jobCount(p, u.id)).toBe(0);
    expect(await batchCount(u.id)).toBe(0);
    expect(await p.balance(u.id)).toEqual({ available: 100, held: 0, posted: 100 });
  });

  it.each([
    ["no jobs", [], "at least one"],
    ["101 jobs", Array.from({ length: 101 }, () => wc("x")), "at most 100"],
  ])("refuses a batch of %s", async (_label, jobs, message) => {
    const u = await p.user({ credits: 1000 });
    const r = await batch(u.key, jobs);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body.error.details.issues)).toContain(message);
  });

  it("a paused account gets 403 account_paused and nothing is created", async () => {
    const u = await p.user({ credits: 100 });
    await p.ctx.ds.query(`UPDATE users SET credit_status = 'paused' WHERE id = $1`, [u.id]);
    const r = await batch(u.key, [wc("paused")]);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("account_paused");
    expect(await jobCount(p, u.id)).toBe(0);
    expect(await batchCount(u.id)).toBe(0);
  });

  it("another user's batch is a 404, and so is a malformed id", async () => {
    const owner = await p.user({ credits: 100 });
    const r = await batch(owner.key, [wc("mine")]);
    const other = await p.user();
    expect((await p.api(other.key, "GET", `/api/v1/batches/${r.body.id}`)).status).toBe(404);
    expect((await p.api(other.key, "GET", `/api/v1/batches/nope`)).status).toBe(404);
  });
});

describe("Idempotency-Key", () => {
  it("a replay returns the same batch and holds nothing more; another body is 409", async () => {
    const u = await p.user({ credits: 100 });
    const jobs = [wc("once"), wc("only")];
    const a = await batch(u.key, jobs, { "Idempotency-Key": "batch-1" });
    const b = await batch(u.key, jobs, { "Idempotency-Key": "batch-1" });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(b.body.id).toBe(a.body.id);
    expect(await jobCount(p, u.id)).toBe(2);
    expect(await batchCount(u.id)).toBe(1);
    const c = await batch(u.key, [wc("different")], { "Idempotency-Key": "batch-1" });
    expect(c.status).toBe(409);
    expect(c.body.error.code).toBe("idempotency_conflict");
  });
});
