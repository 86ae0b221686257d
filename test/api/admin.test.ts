/**
 * Admin routes: the bootstrap admin, users (created with a key shown once),
 * credits added and removed (idempotently), pause/resume, per-user views and
 * the system summary.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserEntity } from "../../src/entities/user";
import { JobAdmission } from "../../src/jobs/admission";
import { ensureBootstrapAdmin } from "../../src/users/bootstrap";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { expectError, issuePaths, ledgerState } from "./support";

const ADMIN_KEY = `hf_bootstrap_${randomUUID()}`;
let p: Platform;
let admin: string;

beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), env: { ADMIN_API_KEY: ADMIN_KEY, RATE_LIMIT_PER_MINUTE: "0" } });
  await ensureBootstrapAdmin(p.ctx);
  admin = ADMIN_KEY;
});
afterAll(async () => {
  await p?.close();
});

const post = (key: string, path: string, body: unknown, headers?: Record<string, string>) => p.api(key, "POST", `/api/v1${path}`, body, headers);
const get = (key: string, path: string) => p.api(key, "GET", `/api/v1${path}`);

describe("bootstrap admin from ADMIN_API_KEY", () => {
  it("is idempotent and makes the key an admin key", async () => {
    const again = await ensureBootstrapAdmin(p.ctx);
    const twice = await ensureBootstrapAdmin(p.ctx);
    expect(again?.id).toBe(twice?.id);
    expect(again).toMatchObject({ email: "admin@holdfast.local", role: "admin" });
    const [{ n }] = await p.ctx.ds.query(`SELECT count(*)::int AS n FROM users WHERE lower(email) = 'admin@holdfast.local'`);
    expect(n).toBe(1);
    expect((await get(admin, "/admin/users")).status).toBe(200);
  });

  it("rotating the key revokes the old one", async () => {
    const next = `hf_bootstrap_${randomUUID()}`;
    await ensureBootstrapAdmin({ ...p.ctx, config: { ...p.ctx.config, ADMIN_API_KEY: next } });
    expectError(await get(admin, "/admin/users"), 401, "unauthenticated");
    expect((await get(next, "/admin/users")).status).toBe(200);
    // And back: the configured key always works after a start.
    await ensureBootstrapAdmin(p.ctx);
    expect((await get(admin, "/admin/users")).status).toBe(200);
    expectError(await get(next, "/admin/users"), 401, "unauthenticated");
  });

  it("does nothing without ADMIN_API_KEY, and refuses another user's key", async () => {
    expect(await ensureBootstrapAdmin({ ...p.ctx, config: { ...p.ctx.config, ADMIN_API_KEY: undefined } })).toBeNull();
    const u = await p.user();
    await expect(ensureBootstrapAdmin({ ...p.ctx, config: { ...p.ctx.config, ADMIN_API_KEY: u.key } })).rejects.toThrow(/another user/);
    expect((await get(u.key, "/credits/balance")).status).toBe(200);
    expectError(await get(u.key, "/admin/users"), 403, "forbidden");
  });
});

describe("users", () => {
  it("creates a user whose key (shown once) works", async () => {
    const r = await post(admin, "/admin/users", { email: "Ada@Example.com", name: "Ada" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ email: "Ada@Example.com", name: "Ada", role: "user", status: "active" });
    expect(r.body.api_key).toMatch(/^hf_/);
    const bal = await get(r.body.api_key, "/credits/balance");
    expect(bal.status).toBe(200);
    expect(bal.body).toMatchObject({ available: 0, status: "active" });
    const shown = await get(admin, `/admin/users/${r.body.id}`);
    expect(shown.body).toEqual({ id: r.body.id, email: "Ada@Example.com", name: "Ada", role: "user", status: "active", created_at: r.body.created_at, pause_reason: null, debt: 0, frozen: 0 });
    const [{ stored }] = await p.ctx.ds.query(`SELECT count(*)::int AS stored FROM api_keys WHERE key_hash = $1`, [r.body.api_key]);
    expect(stored).toBe(0); // only the hash is stored
  });

  it("a taken email (any case) is 409 invalid_state; bad input is 400", async () => {
    expect((await post(admin, "/admin/users", { email: "dup@example.com" })).status).toBe(201);
    expectError(await post(admin, "/admin/users", { email: "DUP@example.com" }), 409, "invalid_state");
    for (const [body, path] of [[{ email: "nope" }, "email"], [{}, "email"], [{ email: "x@example.com", role: "root" }, "role"]] as const) {
      const r = await post(admin, "/admin/users", body);
      expectError(r, 400, "invalid_request");
      expect(issuePaths(r)).toContain(path);
    }
  });

  it("creates admins", async () => {
    const r = await post(admin, "/admin/users", { email: `${randomUUID()}@example.com`, role: "admin" });
    expect(r.body.role).toBe("admin");
    expect((await get(r.body.api_key, "/admin/users")).status).toBe(200);
  });

  it("unknown or malformed user ids are 404", async () => {
    for (const id of [randomUUID(), "nope"]) {
      for (const sub of ["", "/balance", "/transactions", "/summary"]) expectError(await get(admin, `/admin/users/${id}${sub}`), 404, "not_found");
    }
  });
});

describe("credits", () => {
  it("adds and removes credits; removing more than available is 402 and changes nothing", async () => {
    const u = await p.user();
    const add = await post(admin, "/admin/credits/add", { user_id: u.id, amount: 50, description: "Welcome credit" });
    expect(add.status).toBe(201);
    expect(add.body.transaction).toMatchObject({ type: "adjustment", amount: 50, credit_type: "standard", description: "Welcome credit", job_id: null });
    expect(add.body.balance).toMatchObject({ credit_type: "standard", available: 50, held: 0, posted: 50, status: "active" });

    const rm = await post(admin, "/admin/credits/remove", { user_id: u.id, amount: 20, description: "Correction" });
    expect(rm.status).toBe(201);
    expect(rm.body.transaction).toMatchObject({ type: "adjustment", amount: 20, description: "Correction" });
    expect(rm.body.balance).toMatchObject({ available: 30, posted: 30 });

    // Held credits are not available to remove.
    const job = await post(u.key, "/jobs", { kind: "test", input: { cost: 10, ms: 1500 } });
    expect(job.status).toBe(202);
    const tooMuch = await post(admin, "/admin/credits/remove", { user_id: u.id, amount: 21, description: "Too much" });
    expectError(tooMuch, 402, "insufficient_credits");
    expect(tooMuch.body.error.details).toEqual({ required: 21, available: 20, credit_type: "standard" });
    expect(tooMuch.body.error.message).toBe("Cannot remove 21 standard credits: only 20 are available (credits held for jobs or holds cannot be removed).");
    expect(await ledgerState(p, u.id)).toMatchObject({ posted: 30, held: 10 });
    await waitFor(async () => (await get(u.key, `/jobs/${job.body.id}`)).body.status === "succeeded");

    const tx = await get(admin, `/admin/users/${u.id}/transactions?type=adjustment`);
    expect(tx.body.data.map((t: { amount: number; description: string }) => `${t.description}:${t.amount}`)).toEqual(["Correction:20", "Welcome credit:50"]);
    expect((await get(admin, `/admin/users/${u.id}/balance`)).body).toMatchObject({ available: 20, held: 0, posted: 20 });
    const summary = await get(admin, `/admin/users/${u.id}/summary`);
    expect(summary.body).toMatchObject({ granted: 50, removed: 20, spent: 10, held: 0, granted_by_type: { adjustment: 50 } });
  });

  it("adds an expiring grant of another credit type", async () => {
    const u = await p.user();
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const r = await post(admin, "/admin/credits/add", { user_id: u.id, amount: 7, credit_type: "gpu", description: "Trial", expires_at: expires });
    expect(r.status).toBe(201);
    expect(r.body.balance).toMatchObject({ credit_type: "gpu", available: 7 });
    const [lot] = await p.ctx.ds.query(`SELECT category, expires_at FROM ledger_lots WHERE grant_transfer_id = $1`, [r.body.transaction.id]);
    expect(lot.category).toBe("admin");
    expect(lot.expires_at.toISOString()).toBe(expires);
    const bal = await get(u.key, "/credits/balance?credit_type=gpu");
    expect(bal.body).toMatchObject({ credit_type: "gpu", available: 7 });
  });

  it("an Idempotency-Key makes add and remove safe to retry, also concurrently", async () => {
    const u = await p.user();
    const key = randomUUID();
    const body = { user_id: u.id, amount: 40, description: "Refund for outage" };
    const first = await post(admin, "/admin/credits/add", body, { "Idempotency-Key": key });
    const again = await post(admin, "/admin/credits/add", body, { "Idempotency-Key": key });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.transaction).toEqual(first.body.transaction);
    expect(again.body.balance.available).toBe(40);

    const burstKey = randomUUID();
    const burst = await Promise.all(Array.from({ length: 8 }, () => post(admin, "/admin/credits/add", { ...body, amount: 5 }, { "Idempotency-Key": burstKey })));
    expect(burst.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(burst.map((r) => r.body.transaction.id)).size).toBe(1);

    const rmKey = randomUUID();
    const rm = { user_id: u.id, amount: 15, description: "Clawback" };
    await post(admin, "/admin/credits/remove", rm, { "Idempotency-Key": rmKey });
    await post(admin, "/admin/credits/remove", rm, { "Idempotency-Key": rmKey });
    expect(await ledgerState(p, u.id)).toMatchObject({ posted: 40 + 5 - 15 });

    expectError(await post(admin, "/admin/credits/add", { ...body, amount: 41 }, { "Idempotency-Key": key }), 409, "idempotency_conflict");
    // The same key for the other operation with an identical body is a different request, not a replay.
    expectError(await post(admin, "/admin/credits/remove", body, { "Idempotency-Key": key }), 409, "idempotency_conflict");
    expect(await ledgerState(p, u.id)).toMatchObject({ posted: 30 });
    const adds = await get(admin, `/admin/users/${u.id}/transactions?type=adjustment`);
    expect(adds.body.data).toHaveLength(3);
  });

  it("without a key, each call is its own adjustment", async () => {
    const u = await p.user();
    const body = { user_id: u.id, amount: 3, description: "Bonus" };
    await post(admin, "/admin/credits/add", body);
    await post(admin, "/admin/credits/add", body);
    expect(await ledgerState(p, u.id)).toMatchObject({ posted: 6 });
  });

  it("refuses bad input and unknown users without changing anything", async () => {
    const u = await p.user({ credits: 5 });
    const cases: [unknown, string][] = [
      [{ user_id: u.id, amount: 0, description: "x" }, "amount"],
      [{ user_id: u.id, amount: -5, description: "x" }, "amount"],
      [{ user_id: u.id, amount: 1.5, description: "x" }, "amount"],
      [{ user_id: u.id, amount: 5 }, "description"],
      [{ user_id: u.id, amount: 5, description: "   " }, "description"],
      [{ user_id: "nope", amount: 5, description: "x" }, "user_id"],
      [{ user_id: u.id, amount: 5, description: "x", credit_type: "Bad Type" }, "credit_type"],
      [{ user_id: u.id, amount: 5, description: "x", expires_at: "tomorrow" }, "expires_at"],
      [{ user_id: u.id, amount: 5, description: "x", expires_at: "2001-01-01T00:00:00Z" }, "expires_at"],
    ];
    for (const [body, path] of cases) {
      const r = await post(admin, "/admin/credits/add", body);
      expectError(r, 400, "invalid_request");
      expect(issuePaths(r)).toContain(path);
    }
    expectError(await post(admin, "/admin/credits/add", { user_id: randomUUID(), amount: 5, description: "x" }), 404, "not_found");
    expectError(await post(admin, "/admin/credits/remove", { user_id: randomUUID(), amount: 5, description: "x" }), 404, "not_found");
    expectError(await post(admin, "/admin/credits/pause", { user_id: randomUUID() }), 404, "not_found");
    expect(await ledgerState(p, u.id)).toMatchObject({ posted: 5 });
  });
});

describe("pause and resume", () => {
  it("a paused user's submissions are 403 account_paused and hold nothing; resume restores them", async () => {
    const u = await p.user({ credits: 20 });
    const paused = await post(admin, "/admin/credits/pause", { user_id: u.id });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id: u.id, status: "paused" });
    expect((await post(admin, "/admin/credits/pause", { user_id: u.id })).body.status).toBe("paused"); // idempotent

    const r = await post(u.key, "/jobs", { kind: "test", input: { cost: 2 } });
    expectError(r, 403, "account_paused");
    expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 0, pending_holds: 0, held: 0, posted: 20 });
    expect((await get(u.key, "/credits/balance")).body.status).toBe("paused");
    expect((await get(admin, `/admin/users/${u.id}/balance`)).body.status).toBe("paused");

    const list = await get(admin, "/admin/users?status=paused");
    expect(list.status).toBe(200);
    expect(list.body.data.map((x: { id: string }) => x.id)).toContain(u.id);
    expect(list.body.data.every((x: { status: string }) => x.status === "paused")).toBe(true);
    const active = await get(admin, "/admin/users?status=active&limit=200");
    expect(active.body.data.map((x: { id: string }) => x.id)).not.toContain(u.id);

    const resumed = await post(admin, "/admin/credits/resume", { user_id: u.id });
    expect(resumed.body.status).toBe("active");
    expect((await post(u.key, "/jobs", { kind: "test", input: { cost: 2 } })).status).toBe(202);
    expectError(await get(admin, "/admin/users?status=gone"), 400, "invalid_request");
  });

  it("a pause committed after the request was authenticated still refuses the job", async () => {
    const u = await p.user({ credits: 20 });
    const [authenticated] = await p.ctx.ds.getRepository(UserEntity).findBy({ id: u.id });
    expect(authenticated!.creditStatus).toBe("active");
    await post(admin, "/admin/credits/pause", { user_id: u.id });
    await expect(new JobAdmission(p.ctx).submit(authenticated!, { kind: "test", input: { cost: 2 } })).rejects.toMatchObject({ code: "account_paused", status: 403 });
    expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 0, pending_holds: 0, held: 0, posted: 20 });
  });

  it("lists users page by page", async () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { body: { data: { id: string }[]; next_cursor: string | null } } = await get(admin, `/admin/users?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      for (const x of r.body.data) {
        expect(seen.has(x.id)).toBe(false);
        seen.add(x.id);
      }
      cursor = r.body.next_cursor;
      pages++;
    } while (cursor && pages < 100);
    const [{ n }] = await p.ctx.ds.query(`SELECT count(*)::int AS n FROM users`);
    expect(seen.size).toBe(n);
  });

  it("searches all users on the server: part of the email or name, any case, or the start of the id; wildcards match literally", async () => {
    const tag = randomUUID().slice(0, 8);
    const made = [];
    for (const email of [`Ada.${tag}@example.com`, `bob_${tag}@example.com`, `bobx${tag}@example.com`]) {
      made.push((await post(admin, "/admin/users", { email, ...(email.startsWith("Ada") ? { name: `Ada Search ${tag}` } : {}) })).body);
    }
    // More users than one page, so a page-local filter would miss them.
    const ids = async (q: string, extra = "") => ((await get(admin, `/admin/users?limit=2${extra}&q=${encodeURIComponent(q)}`)).body.data as { id: string }[]).map((u) => u.id).sort();
    expect(await ids(`ada.${tag.toUpperCase()}`)).toEqual([made[0].id]);
    expect(await ids(`search ${tag}`)).toEqual([made[0].id]);
    expect(await ids(`bob_${tag}`)).toEqual([made[1].id]); // "_" is not "any character": bobx… does not match
    expect(await ids(made[2].id.slice(0, 13))).toEqual([made[2].id]);
    expect(await ids(`%${tag}`)).toEqual([]);
    expect(await ids(tag, "&status=paused")).toEqual([]);
    expectError(await get(admin, `/admin/users?q=${"x".repeat(201)}`), 400, "invalid_request");
  });
});

describe("system summary", () => {
  it("adds up: outstanding = issued − spent + dispute_refunded − expired − removed, and equals the users' balances", async () => {
    const u = await p.user({ credits: 30 });
    const job = await post(u.key, "/jobs", { kind: "test", input: { cost: 6, use: 4 } });
    await waitFor(async () => (await get(u.key, `/jobs/${job.body.id}`)).body.status === "succeeded");
    const r = await get(admin, "/admin/credits/system/summary");
    expect(r.status).toBe(200);
    const s = r.body;
    expect(s.outstanding).toBe(s.issued - s.spent + s.dispute_refunded - s.expired - s.removed);
    expect(s.available).toBe(s.outstanding - s.held);
    expect(Object.values(s.issued_by_type as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(s.issued);
    const [db] = await p.ctx.ds.query(
      `SELECT sum(credits_posted - debits_posted)::int AS posted, sum(debits_pending)::int AS held,
              (SELECT sum(amount)::int FROM ledger_transfers WHERE type = 'charge') AS spent FROM ledger_accounts WHERE kind = 'user'`,
    );
    expect({ outstanding: s.outstanding, held: s.held, spent: s.spent }).toEqual({ outstanding: db.posted, held: db.held, spent: db.spent });
    expect(s.spent).toBeGreaterThanOrEqual(4);
    for (const t of s.by_credit_type) expect(t.outstanding).toBe(t.issued - t.spent + t.dispute_refunded - t.expired - t.removed);
    expect(s.by_credit_type.map((t: { credit_type: string }) => t.credit_type)).toEqual(["gpu", "standard"]);
    expect(s.users.total).toBe(s.users.active + s.users.paused);
    expect(s.spent_usd).toBe((s.spent / 10).toFixed(2));
  });

  it("is admin only", async () => {
    const u = await p.user();
    expectError(await get(u.key, "/admin/credits/system/summary"), 403, "forbidden");
    for (const path of ["/admin/users", `/admin/users/${u.id}/balance`, `/admin/users/${u.id}/transactions`, `/admin/users/${u.id}/summary`]) {
      expectError(await get(u.key, path), 403, "forbidden");
    }
    for (const path of ["/admin/users", "/admin/credits/add", "/admin/credits/remove", "/admin/credits/pause", "/admin/credits/resume"]) {
      expectError(await post(u.key, path, { user_id: u.id, amount: 5, description: "x", email: "a@b.co" }), 403, "forbidden");
    }
    expect(await ledgerState(p, u.id)).toMatchObject({ posted: 0 });
  });
});
