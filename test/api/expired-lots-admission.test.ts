/**
 * Expired lots at admission (issue 13): credits of a lot past its expiry are
 * not spendable even before the expiry task has swept them — no hold path
 * (jobs, batches, holds, consume) takes them, and the balance and
 * /credits/check do not show them as available. The expiry task later
 * expires them exactly once, and the books stay clean.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";
import { expectError } from "./support";

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { RATE_LIMIT_PER_MINUTE: "0" } });
});
afterAll(async () => {
  await p?.close();
});

const api = (key: string, method: string, path: string, body?: unknown) => p.api(key, method, `/api/v1${path}`, body);
const past = () => new Date(Date.now() - 60_000);

async function grant(userId: string, amount: number, expiresAt: Date | null): Promise<string> {
  const r = await ledger.grant(p.ctx.ds.manager, { id: randomUUID(), userId, amount, category: "promotional", expiresAt });
  return r.lotId;
}

async function expectLedgerClean(): Promise<void> {
  expect((await ledger.checkLedger(p.ctx.ds.manager)).problems).toEqual([]);
}

describe("a lot past its expiry, not yet swept", () => {
  it("is not available: balance, check, and every hold path refuse what only it could cover (402, nothing held)", async () => {
    const u = await p.user({ credits: 5 });
    await grant(u.id, 20, past());

    const bal = (await api(u.key, "GET", "/credits/balance")).body;
    expect(bal).toMatchObject({ available: 5, held: 0, posted: 25 });
    expect((await api(u.key, "GET", "/credits/check?credits=6")).body).toEqual({ affordable: false, available: 5, required: 6 });

    const job = await api(u.key, "POST", "/jobs", { kind: "test", input: { cost: 6 } });
    expectError(job, 402, "insufficient_credits");
    expect(job.body.error.details).toMatchObject({ required: 6, available: 5 });
    expectError(await api(u.key, "POST", "/jobs", { kind: "test", input: { cost: 6 } }), 402, "insufficient_credits");
    const keyed = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 6 } }, { "Idempotency-Key": randomUUID() });
    expectError(keyed, 402, "insufficient_credits");
    expectError(await api(u.key, "POST", "/batches", { jobs: [{ kind: "test", input: { cost: 3 } }, { kind: "test", input: { cost: 3 } }] }), 402, "insufficient_credits");
    expectError(await api(u.key, "POST", "/holds", { credits: 6 }), 402, "insufficient_credits");
    expectError(await api(u.key, "POST", "/credits/consume", { credits: 6, description: "x" }), 402, "insufficient_credits");
    const [{ holds }] = await p.ctx.ds.query(`SELECT count(*)::int AS holds FROM ledger_transfers WHERE user_id = $1 AND type = 'hold'`, [u.id]);
    expect(holds).toBe(0);

    // What the live lot covers still goes through.
    expect((await api(u.key, "POST", "/jobs", { kind: "test", input: { cost: 5 } })).status).toBe(202);
    expectError(await api(u.key, "POST", "/holds", { credits: 1 }), 402, "insufficient_credits");

    // The expiry task, run later, expires the lot once; a second run finds nothing.
    const first = await ledger.expireLots(p.ctx.ds.manager, new Date());
    expect(first.expired).toBe(20);
    expect((await ledger.expireLots(p.ctx.ds.manager, new Date())).expired).toBe(0);
    const [{ expired }] = await p.ctx.ds.query(`SELECT coalesce(sum(amount), 0)::int AS expired FROM ledger_transfers WHERE user_id = $1 AND type = 'expire'`, [u.id]);
    expect(expired).toBe(20);
    expect((await api(u.key, "GET", "/credits/balance")).body).toMatchObject({ available: 0, held: 5, posted: 5 });
    await expectLedgerClean();
  });

  it("still backs the holds placed before it expired, and only what they leave of it is kept from new holds", async () => {
    const u = await p.user({ credits: 5 });
    const lot = await grant(u.id, 10, new Date(Date.now() + 3_600_000));
    const h = await api(u.key, "POST", "/holds", { credits: 8 });
    expect(h.status).toBe(201);
    // The lot expires (time passes) right after the hold, before the task runs: posted 15, held 8, of the
    // expired 10 the hold placed before the expiry backs 8 → 15 − 8 − 2 = 5 available.
    await p.ctx.ds.query(
      `UPDATE ledger_lots SET expires_at = (SELECT created_at + interval '1 millisecond' FROM ledger_transfers WHERE id = $2) WHERE id = $1`,
      [lot, h.body.id],
    );
    expect((await api(u.key, "GET", "/credits/balance")).body).toMatchObject({ available: 5, held: 8, posted: 15 });
    expectError(await api(u.key, "POST", "/holds", { credits: 6 }), 402, "insufficient_credits");
    const h2 = await api(u.key, "POST", "/holds", { credits: 5 });
    expect(h2.status).toBe(201);

    // The task keeps what the hold placed before the expiry needs (8), not what the later one holds: 2 go, once.
    expect((await ledger.expireLots(p.ctx.ds.manager, new Date())).expired).toBe(2);
    expect((await ledger.expireLots(p.ctx.ds.manager, new Date())).expired).toBe(0);
    expect((await api(u.key, "GET", "/credits/balance")).body).toMatchObject({ available: 0, held: 13, posted: 13 });
    // The old hold's capture burns the kept part of the expired lot; the new one is released.
    expect((await api(u.key, "POST", `/holds/${h.body.id}/capture`, { credits: 8 })).status).toBe(200);
    expect((await api(u.key, "POST", `/holds/${h2.body.id}/release`)).status).toBe(200);
    expect((await ledger.expireLots(p.ctx.ds.manager, new Date())).expired).toBe(0);
    expect((await api(u.key, "GET", "/credits/balance")).body).toMatchObject({ available: 5, held: 0, posted: 5 });
    await expectLedgerClean();
  });
});
