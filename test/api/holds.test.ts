/**
 * Holds of an application's own work, consume and check: every route, bad
 * input, other users' holds, the service role acting for a user, replays,
 * expiry by the reaper, and the transaction history's capture/consume rows.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock";
import { reapHolds } from "../../src/jobs/tasks/hold-reaper";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";
import { expectError, issuePaths } from "./support";

let p: Platform;
const clock = new ManualClock(new Date());
beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, clock, env: { RATE_LIMIT_PER_MINUTE: "0" } });
});
afterAll(async () => {
  await p?.close();
});

const api = (key: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  p.api(key, method, `/api/v1${path}`, body, headers);
const balance = async (key: string) => (await api(key, "GET", "/credits/balance")).body as { available: number; held: number; posted: number };

describe("POST /holds", () => {
  it("holds credits and answers 201 with the hold", async () => {
    const u = await p.user({ credits: 100 });
    const r = await api(u.key, "POST", "/holds", { credits: 30, description: "chat", metadata: { conversation: "c1" }, ttl_seconds: 600 });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(String), user_id: u.id, status: "pending", credit_type: "standard",
      credits: { held: 30, captured: 0, released: 0 }, description: "chat", metadata: { conversation: "c1" },
      expires_at: new Date(clock.now().getTime() + 600_000).toISOString(), created_at: expect.any(String),
    });
    expect(await balance(u.key)).toMatchObject({ available: 70, held: 30, posted: 100 });
    expect((await api(u.key, "GET", `/holds/${r.body.id}`)).body).toEqual(r.body);
  });

  it("defaults ttl to an hour and refuses bad input with 400, holding nothing", async () => {
    const u = await p.user({ credits: 10 });
    const r = await api(u.key, "POST", "/holds", { credits: 1 });
    expect(Date.parse(r.body.expires_at) - clock.now().getTime()).toBe(3600_000);
    const bad: [unknown, string][] = [
      [{}, "credits"], [{ credits: 0 }, "credits"], [{ credits: 1.5 }, "credits"], [{ credits: "5" }, "credits"],
      [{ credits: 1, ttl_seconds: 86_401 }, "ttl_seconds"], [{ credits: 1, ttl_seconds: 0 }, "ttl_seconds"],
      [{ credits: 1, credit_type: "BAD TYPE" }, "credit_type"], [{ credits: 1, metadata: "x" }, "metadata"],
      [{ credits: 1, surprise: true }, ""], [{ credits: 1, user_id: "nope" }, "user_id"],
    ];
    for (const [body, path] of bad) {
      const res = await api(u.key, "POST", "/holds", body);
      expectError(res, 400, "invalid_request");
      if (path) expect(issuePaths(res), JSON.stringify(body)).toContain(path);
    }
    expectError(await api(u.key, "POST", "/holds", "{not json"), 400, "invalid_request");
    expect(await balance(u.key)).toMatchObject({ available: 9, held: 1 });
  });

  it("is 402 with required/available/credit_type when short, and nothing is held", async () => {
    const u = await p.user({ credits: 5 });
    const r = await api(u.key, "POST", "/holds", { credits: 6 });
    expectError(r, 402, "insufficient_credits");
    expect(r.body.error.details).toEqual({ required: 6, available: 5, credit_type: "standard" });
    expect(await balance(u.key)).toMatchObject({ available: 5, held: 0 });
    expect((await api(u.key, "GET", "/holds")).body.data).toEqual([]);
  });

  it("replays an Idempotency-Key: same hold, nothing more held; another body is 409", async () => {
    const u = await p.user({ credits: 50 });
    const headers = { "Idempotency-Key": randomUUID() };
    const a = await api(u.key, "POST", "/holds", { credits: 10 }, headers);
    const b = await api(u.key, "POST", "/holds", { credits: 10 }, headers);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(b.body.id).toBe(a.body.id);
    expect(await balance(u.key)).toMatchObject({ held: 10 });
    expectError(await api(u.key, "POST", "/holds", { credits: 11 }, headers), 409, "idempotency_conflict");
    // Concurrent twins: one hold.
    const k = { "Idempotency-Key": randomUUID() };
    const twins = await Promise.all([1, 2, 3, 4].map(() => api(u.key, "POST", "/holds", { credits: 5 }, k)));
    expect(new Set(twins.map((t) => t.body.id)).size).toBe(1);
    expect(await balance(u.key)).toMatchObject({ held: 15 });
  });

  it("a paused account cannot hold (403 account_paused)", async () => {
    const u = await p.user({ credits: 50 });
    await p.ctx.ds.query(`UPDATE users SET credit_status = 'paused' WHERE id = $1`, [u.id]);
    // The key cache may still say active: the database's own check refuses anyway.
    const r = await api(u.key, "POST", "/holds", { credits: 1 });
    expectError(r, 403, "account_paused");
    expect((await api(u.key, "GET", "/credits/check?credits=1")).body).toEqual({ affordable: false, available: 50, required: 1 });
    expectError(await api(u.key, "POST", "/credits/consume", { credits: 1, description: "x" }), 403, "account_paused");
    expect(await balance(u.key)).toMatchObject({ available: 50, held: 0 });
  });
});

describe("capture and release", () => {
  it("captures part, releases the rest; history shows hold, capture and release with hold_id", async () => {
    const u = await p.user({ credits: 100 });
    const h = (await api(u.key, "POST", "/holds", { credits: 40, description: "summarise" })).body;
    const c = await api(u.key, "POST", `/holds/${h.id}/capture`, { credits: 25, description: "summarised 2,500 chars" });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ id: h.id, status: "captured", credits: { held: 40, captured: 25, released: 15 } });
    expect(await balance(u.key)).toMatchObject({ available: 75, held: 0, posted: 75 });
    const tx = (await api(u.key, "GET", "/credits/transactions?limit=10")).body.data;
    const mine = tx.filter((t: { hold_id: string | null }) => t.hold_id === h.id);
    expect(mine.map((t: { type: string; amount: number }) => [t.type, t.amount]).sort()).toEqual([["capture", 25], ["hold", 40], ["release", 15]]);
    expect(mine.find((t: { type: string }) => t.type === "capture").description).toBe("summarised 2,500 chars");
    const captures = (await api(u.key, "GET", "/credits/transactions?type=capture")).body.data;
    expect(captures).toHaveLength(1);
    expect(captures[0]).toMatchObject({ type: "capture", amount: 25, hold_id: h.id, job_id: null });
    // No longer pending: capture and release are 409 invalid_state, nothing moves.
    for (const path of ["capture", "release"]) {
      const r = await api(u.key, "POST", `/holds/${h.id}/${path}`, {});
      expectError(r, 409, "invalid_state");
      expect(r.body.error.details).toEqual({ status: "captured" });
    }
    expect(await balance(u.key)).toMatchObject({ available: 75, held: 0 });
  });

  it("captures everything by default; release gives all back", async () => {
    const u = await p.user({ credits: 100 });
    const a = (await api(u.key, "POST", "/holds", { credits: 10 })).body;
    const b = (await api(u.key, "POST", "/holds", { credits: 20 })).body;
    expect((await api(u.key, "POST", `/holds/${a.id}/capture`)).body).toMatchObject({ status: "captured", credits: { held: 10, captured: 10, released: 0 } });
    expect((await api(u.key, "POST", `/holds/${b.id}/release`)).body).toMatchObject({ status: "released", credits: { held: 20, captured: 0, released: 20 } });
    expectError(await api(u.key, "POST", `/holds/${b.id}/capture`, { credits: 1 }), 409, "invalid_state");
    expect(await balance(u.key)).toMatchObject({ available: 90, held: 0, posted: 90 });
  });

  it("more than held is 400; 0, fractions and junk are 400; nothing changes", async () => {
    const u = await p.user({ credits: 100 });
    const h = (await api(u.key, "POST", "/holds", { credits: 10 })).body;
    const over = await api(u.key, "POST", `/holds/${h.id}/capture`, { credits: 11 });
    expectError(over, 400, "invalid_request");
    expect(issuePaths(over)).toEqual(["credits"]);
    for (const body of [{ credits: 0 }, { credits: 2.5 }, { credits: -1 }, { extra: 1 }]) {
      expectError(await api(u.key, "POST", `/holds/${h.id}/capture`, body), 400, "invalid_request");
    }
    expectError(await api(u.key, "POST", `/holds/${h.id}/release`, { credits: 1 }), 400, "invalid_request");
    expect((await api(u.key, "GET", `/holds/${h.id}`)).body.status).toBe("pending");
  });

  it("another user's hold, a missing one or a malformed id is 404", async () => {
    const a = await p.user({ credits: 10 });
    const b = await p.user({ credits: 10 });
    const h = (await api(a.key, "POST", "/holds", { credits: 5 })).body;
    for (const [m, path] of [["GET", ""], ["POST", "/capture"], ["POST", "/release"]] as const) {
      expectError(await api(b.key, m, `/holds/${h.id}${path}`, m === "POST" ? {} : undefined), 404, "not_found");
      expectError(await api(b.key, m, `/holds/${randomUUID()}${path}`, m === "POST" ? {} : undefined), 404, "not_found");
      expectError(await api(b.key, m, `/holds/not-a-uuid${path}`, m === "POST" ? {} : undefined), 404, "not_found");
    }
    expect((await api(b.key, "GET", "/holds")).body.data).toEqual([]);
    expect((await api(a.key, "GET", `/holds/${h.id}`)).body.status).toBe("pending");
  });

  it("capture and release replay with their Idempotency-Key (200, same hold); a repeat without one is 409", async () => {
    const u = await p.user({ credits: 100 });
    const h = (await api(u.key, "POST", "/holds", { credits: 10 })).body;
    const k = { "Idempotency-Key": randomUUID() };
    const first = await api(u.key, "POST", `/holds/${h.id}/capture`, { credits: 4 }, k);
    const again = await api(u.key, "POST", `/holds/${h.id}/capture`, { credits: 4 }, k);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expectError(await api(u.key, "POST", `/holds/${h.id}/capture`, { credits: 5 }, k), 409, "idempotency_conflict");
    expectError(await api(u.key, "POST", `/holds/${h.id}/capture`, { credits: 4 }), 409, "invalid_state");
    expect(await balance(u.key)).toMatchObject({ available: 96, held: 0 });
    const r = (await api(u.key, "POST", "/holds", { credits: 3 })).body;
    const rk = { "Idempotency-Key": randomUUID() };
    expect((await api(u.key, "POST", `/holds/${r.id}/release`, {}, rk)).status).toBe(200);
    expect((await api(u.key, "POST", `/holds/${r.id}/release`, {}, rk)).status).toBe(200);
    expect(await balance(u.key)).toMatchObject({ available: 96, held: 0 });
  });
});

describe("expiry", () => {
  it("the reaper releases an expired hold, which then reads expired; acting on it is 409", async () => {
    const u = await p.user({ credits: 100 });
    const h = (await api(u.key, "POST", "/holds", { credits: 30, ttl_seconds: 60 })).body;
    const keep = (await api(u.key, "POST", "/holds", { credits: 5, ttl_seconds: 3600 })).body;
    const summary = await reapHolds(p.ctx, new Date(clock.now().getTime() + 61_000));
    expect(summary.orphans).toBeGreaterThanOrEqual(1);
    expect((await api(u.key, "GET", `/holds/${h.id}`)).body).toMatchObject({ status: "expired", credits: { held: 30, captured: 0, released: 30 } });
    expect((await api(u.key, "GET", `/holds/${keep.id}`)).body.status).toBe("pending");
    const r = await api(u.key, "POST", `/holds/${h.id}/capture`, {});
    expectError(r, 409, "invalid_state");
    expect(r.body.error.details).toEqual({ status: "expired" });
    expect(await balance(u.key)).toMatchObject({ available: 95, held: 5 });
    // A second reaper round changes nothing.
    await reapHolds(p.ctx, new Date(clock.now().getTime() + 61_000));
    expect(await balance(u.key)).toMatchObject({ available: 95, held: 5 });
  });

  it("capturing a hold past its expiry (not reaped yet) expires it and is 409", async () => {
    const u = await p.user({ credits: 100 });
    const h = (await api(u.key, "POST", "/holds", { credits: 30, ttl_seconds: 1 })).body;
    clock.advance(2000);
    try {
      const r = await api(u.key, "POST", `/holds/${h.id}/capture`, { credits: 3 });
      expectError(r, 409, "invalid_state");
      expect(r.body.error.details).toEqual({ status: "expired" });
    } finally {
      clock.advance(-2000);
    }
    expect((await api(u.key, "GET", `/holds/${h.id}`)).body.status).toBe("expired");
    expect(await balance(u.key)).toMatchObject({ available: 100, held: 0 });
  });
});

describe("listing", () => {
  it("pages newest first and filters by status", async () => {
    const u = await p.user({ credits: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api(u.key, "POST", "/holds", { credits: 1 })).body.id);
    await api(u.key, "POST", `/holds/${ids[0]}/capture`);
    await api(u.key, "POST", `/holds/${ids[1]}/release`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { data: { id: string }[]; next_cursor: string | null } } = await api(u.key, "GET", `/holds?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...r.body.data.map((h) => h.id));
      cursor = r.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await api(u.key, "GET", "/holds?status=pending")).body.data.map((h: { id: string }) => h.id)).toEqual([ids[4], ids[3], ids[2]]);
    expect((await api(u.key, "GET", "/holds?status=captured")).body.data.map((h: { id: string }) => h.id)).toEqual([ids[0]]);
    expect((await api(u.key, "GET", "/holds?status=released")).body.data.map((h: { id: string }) => h.id)).toEqual([ids[1]]);
    for (const q of ["status=done", "limit=0", "limit=201", "cursor=junk"]) expectError(await api(u.key, "GET", `/holds?${q}`), 400, "invalid_request");
  });
});

describe("consume and check", () => {
  it("consume charges at once: 201 { transaction, balance }, a `consume` row in history and no hold listed", async () => {
    const u = await p.user({ credits: 20 });
    const r = await api(u.key, "POST", "/credits/consume", { credits: 7, description: "700 chars of chat", metadata: { m: 1 } });
    expect(r.status).toBe(201);
    expect(r.body.transaction).toMatchObject({ type: "consume", amount: 7, credit_type: "standard", description: "700 chars of chat", job_id: null, hold_id: null });
    expect(r.body.balance).toMatchObject({ available: 13, held: 0, posted: 13, status: "active" });
    const tx = (await api(u.key, "GET", "/credits/transactions")).body.data;
    expect(tx.map((t: { type: string }) => t.type)).toEqual(["consume", "grant"]);
    expect((await api(u.key, "GET", "/credits/transactions?type=consume")).body.data).toHaveLength(1);
    expect((await api(u.key, "GET", "/credits/transactions?type=hold")).body.data).toHaveLength(0);
    expect((await api(u.key, "GET", "/holds")).body.data).toEqual([]);
  });

  it("consume: 402 when short with details, nothing changes; bad input 400; replay charges once", async () => {
    const u = await p.user({ credits: 5 });
    const short = await api(u.key, "POST", "/credits/consume", { credits: 6, description: "x" });
    expectError(short, 402, "insufficient_credits");
    expect(short.body.error.details).toEqual({ required: 6, available: 5, credit_type: "standard" });
    for (const body of [{ credits: 1 }, { credits: 0, description: "x" }, { credits: 1, description: "" }, { credits: 1, description: "x", z: 1 }]) {
      expectError(await api(u.key, "POST", "/credits/consume", body), 400, "invalid_request");
    }
    const k = { "Idempotency-Key": randomUUID() };
    const a = await api(u.key, "POST", "/credits/consume", { credits: 2, description: "once" }, k);
    const b = await api(u.key, "POST", "/credits/consume", { credits: 2, description: "once" }, k);
    expect(b.status).toBe(201);
    expect(b.body.transaction.id).toBe(a.body.transaction.id);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expectError(await api(u.key, "POST", "/credits/consume", { credits: 3, description: "once" }, k), 409, "idempotency_conflict");
    expect(await balance(u.key)).toMatchObject({ available: 3, held: 0, posted: 3 });
  });

  it("check answers { affordable, available, required } and holds nothing", async () => {
    const u = await p.user({ credits: 5 });
    expect((await api(u.key, "GET", "/credits/check?credits=5")).body).toEqual({ affordable: true, available: 5, required: 5 });
    expect((await api(u.key, "GET", "/credits/check?credits=6")).body).toEqual({ affordable: false, available: 5, required: 6 });
    expect((await api(u.key, "GET", "/credits/check?credits=1&credit_type=gpu")).body).toEqual({ affordable: false, available: 0, required: 1 });
    for (const q of ["", "credits=0", "credits=1.5", "credits=abc", "credits=1&credit_type=BAD"]) {
      expectError(await api(u.key, "GET", `/credits/check?${q}`), 400, "invalid_request");
    }
    expect(await balance(u.key)).toMatchObject({ available: 5, held: 0 });
  });
});

describe("the service role (★ routes)", () => {
  it("a service key acts for a user with user_id; a user key naming another user is 403, itself is fine", async () => {
    const svc = await p.user({ role: "service" });
    const u = await p.user({ credits: 50 });
    const other = await p.user({ credits: 50 });

    const h = await api(svc.key, "POST", "/holds", { credits: 10, user_id: u.id });
    expect(h.status).toBe(201);
    expect(h.body.user_id).toBe(u.id);
    expect((await api(svc.key, "GET", `/holds/${h.body.id}?user_id=${u.id}`)).body.status).toBe("pending");
    // Without user_id a service key acts for itself: the user's hold is not its own.
    expectError(await api(svc.key, "GET", `/holds/${h.body.id}`), 404, "not_found");
    expect((await api(svc.key, "GET", `/holds?user_id=${u.id}`)).body.data).toHaveLength(1);
    expect((await api(svc.key, "POST", `/holds/${h.body.id}/capture`, { credits: 4, user_id: u.id })).body.status).toBe("captured");
    expect((await api(svc.key, "GET", `/credits/balance?user_id=${u.id}`)).body).toMatchObject({ available: 46, posted: 46 });
    expect((await api(svc.key, "GET", `/credits/check?credits=46&user_id=${u.id}`)).body).toEqual({ affordable: true, available: 46, required: 46 });
    const c = await api(svc.key, "POST", "/credits/consume", { credits: 6, description: "svc", user_id: u.id });
    expect(c.status).toBe(201);
    expect(c.body.balance.available).toBe(40);
    const r2 = (await api(svc.key, "POST", "/holds", { credits: 1, user_id: u.id })).body;
    expect((await api(svc.key, "POST", `/holds/${r2.id}/release?user_id=${u.id}`)).body.status).toBe("released");
    expect((await api(svc.key, "GET", `/credits/transactions?user_id=${u.id}&type=consume`)).body.data).toHaveLength(1);

    // An unknown user is 404; a malformed id 400.
    expectError(await api(svc.key, "POST", "/holds", { credits: 1, user_id: randomUUID() }), 404, "not_found");
    expectError(await api(svc.key, "GET", "/credits/balance?user_id=nope"), 400, "invalid_request");

    // A user key: another user's id is 403, its own is fine.
    expectError(await api(u.key, "POST", "/holds", { credits: 1, user_id: other.id }), 403, "forbidden");
    expectError(await api(u.key, "GET", `/credits/balance?user_id=${other.id}`), 403, "forbidden");
    expectError(await api(u.key, "POST", "/credits/consume", { credits: 1, description: "x", user_id: other.id }), 403, "forbidden");
    expectError(await api(u.key, "GET", `/credits/check?credits=1&user_id=${other.id}`), 403, "forbidden");
    expectError(await api(u.key, "GET", `/holds?user_id=${other.id}`), 403, "forbidden");
    expect((await api(u.key, "POST", "/holds", { credits: 1, user_id: u.id })).status).toBe(201);
    expect(await balance(other.key)).toMatchObject({ available: 50, held: 0 });

    // An admin may act for users too.
    const admin = await p.user({ role: "admin" });
    expect((await api(admin.key, "GET", `/credits/balance?user_id=${other.id}`)).body.available).toBe(50);
  });

  it("admins can create service users", async () => {
    const admin = await p.user({ role: "admin" });
    const r = await api(admin.key, "POST", "/admin/users", { email: `${randomUUID()}@svc.example`, role: "service" });
    expect(r.status).toBe(201);
    expect(r.body.role).toBe("service");
    const u = await p.user({ credits: 3 });
    expect((await api(r.body.api_key, "GET", `/credits/balance?user_id=${u.id}`)).body.available).toBe(3);
  });
});
