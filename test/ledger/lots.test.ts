/**
 * Lots: burn-down order and expiry. Each test has its own database, so the
 * global result of `expireLots` (which walks every due lot) is exact.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LotCategory } from "../../src/entities/ledger-lot";
import { InsufficientCredits } from "../../src/errors";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { createTestDb, type TestDb } from "../helpers/db";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let db: TestDb;
let m: EntityManager;
beforeEach(async () => {
  db = await createTestDb();
  m = db.ds.manager;
});
afterEach(async () => {
  await db.close();
});

async function newUser(): Promise<string> {
  return (await createUser(m, { email: `lots-${randomUUID()}@example.com` })).user.id;
}

async function lot(userId: string, amount: number, category: LotCategory, opts: { expiresAt?: Date; priority?: number } = {}): Promise<string> {
  return (await ledger.grant(m, { id: randomUUID(), userId, amount, category, ...opts })).lotId;
}

/** The lot's expiry moves to just after the hold was placed: the hold was admitted while the lot was live. */
async function expiresAfterHold(lotId: string, holdId: string): Promise<void> {
  await m.query(`UPDATE ledger_lots SET expires_at = (SELECT created_at + interval '1 millisecond' FROM ledger_transfers WHERE id = $2) WHERE id = $1`,
    [lotId, holdId]);
}

async function remaining(lotId: string): Promise<number> {
  const rows: { remaining: string }[] = await m.query(`SELECT remaining FROM ledger_lots WHERE id = $1`, [lotId]);
  return Number(rows[0]!.remaining);
}

/** lot id → amount burnt from it by one transfer. */
async function consumptions(transferId: string): Promise<Record<string, number>> {
  const rows: { lot_id: string; amount: string }[] = await m.query(
    `SELECT lot_id, amount FROM ledger_lot_consumptions WHERE transfer_id = $1`, [transferId],
  );
  return Object.fromEntries(rows.map((r) => [r.lot_id, Number(r.amount)]));
}

/** Everything expiry could touch, to show a run changed nothing. */
async function snapshot(): Promise<unknown> {
  return m.query(
    `SELECT (SELECT count(*) FROM ledger_transfers) AS transfers,
            (SELECT json_agg(a ORDER BY a.id) FROM (SELECT id, credits_posted, debits_posted, debits_pending FROM ledger_accounts) a) AS accounts,
            (SELECT json_agg(l ORDER BY l.id) FROM (SELECT id, remaining FROM ledger_lots) l) AS lots`,
  );
}

describe("burn-down order", () => {
  it("burns expired-but-kept remainders first, then by priority, earliest expiry, oldest", async () => {
    const userId = await newUser();
    const now = Date.now();

    // An already-expired lot that survives expiry only because a hold placed before its expiry needs it.
    const expired = await lot(userId, 10, "purchase", { expiresAt: new Date(now + HOUR) });
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 10 });
    await expiresAfterHold(expired, holdId);
    expect(await ledger.expireLots(m, new Date(Date.now() + 1000))).toEqual({ lots: 0, expired: 0, kept: 1 });
    expect(await remaining(expired)).toBe(10);

    // Created in this order; the expected burn order is different.
    const purchase = await lot(userId, 10, "purchase");
    const adminOld = await lot(userId, 10, "admin");
    const adminNew = await lot(userId, 10, "admin");
    const subLate = await lot(userId, 10, "subscription", { expiresAt: new Date(now + 30 * DAY) });
    const subEarly = await lot(userId, 10, "subscription", { expiresAt: new Date(now + 10 * DAY) });
    const promo = await lot(userId, 10, "promotional", { expiresAt: new Date(now + DAY) });
    const vip = await lot(userId, 10, "purchase", { priority: 5 });
    const order = [vip, subEarly, subLate, promo, adminOld, adminNew, purchase];

    // The capture takes the expired remainder although every other lot has a
    // better priority (vip: 5 against the expired purchase lot's 40).
    const postId = randomUUID();
    await ledger.post(m, { id: postId, pendingId: holdId, amount: 10 });
    expect(await consumptions(postId)).toEqual({ [expired]: 10 });

    // Burn the rest 4 at a time, alternating admin removals and hold + post:
    // each burn must take exactly what the expected order predicts.
    const left = new Map(order.map((id) => [id, 10]));
    for (let i = 0; left.size > 0; i++) {
      const amount = Math.min(4, [...left.values()].reduce((a, b) => a + b, 0));
      const expected: Record<string, number> = {};
      let need = amount;
      for (const id of order) {
        const r = left.get(id);
        if (r === undefined || need === 0) continue;
        const take = Math.min(r, need);
        expected[id] = take;
        need -= take;
        if (r === take) left.delete(id);
        else left.set(id, r - take);
      }
      const id = randomUUID();
      if (i % 2 === 0) {
        await ledger.adjust(m, { id, userId, amount: -amount, description: "burn" });
        expect(await consumptions(id), `removal #${i}`).toEqual(expected);
      } else {
        const h = randomUUID();
        await ledger.hold(m, { id: h, userId, amount });
        await ledger.post(m, { id, pendingId: h, amount });
        expect(await consumptions(id), `post #${i}`).toEqual(expected);
      }
    }
    for (const id of [expired, ...order]) expect(await remaining(id)).toBe(0);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 0, held: 0, posted: 0 });
    await expect(ledger.adjust(m, { id: randomUUID(), userId, amount: -1, description: "nothing left" }))
      .rejects.toMatchObject({ required: 1, available: 0 });
  });
});

describe("expiry", () => {
  it("does nothing before a lot's expiry", async () => {
    const userId = await newUser();
    const now = Date.now();
    const l = await lot(userId, 50, "promotional", { expiresAt: new Date(now + HOUR) });
    expect(await ledger.expireLots(m, new Date(now + HOUR - 1))).toEqual({ lots: 0, expired: 0, kept: 0 });
    expect(await remaining(l)).toBe(50);
    expect(await ledger.expireLots(m, new Date(now + HOUR))).toEqual({ lots: 1, expired: 50, kept: 0 });
    expect(await remaining(l)).toBe(0);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 0, held: 0, posted: 0 });
    const history = await ledger.transactions(m, userId, { limit: 10 });
    expect(history.data.map((t) => [t.type, t.amount])).toEqual([["expire", 50], ["grant", 50]]);
  });

  it("never takes what a pending hold needs; the post then burns the kept remainder; a later run expires nothing more", async () => {
    const userId = await newUser();
    const now = Date.now();
    const l = await lot(userId, 100, "subscription", { expiresAt: new Date(now + HOUR) });
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 60 });

    const afterExpiry = new Date(now + 2 * HOUR);
    expect(await ledger.expireLots(m, afterExpiry)).toMatchObject({ lots: 1, expired: 40 });
    expect(await remaining(l)).toBe(60);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 0, held: 60, posted: 60 });

    // Twice changes nothing.
    const before = await snapshot();
    expect(await ledger.expireLots(m, afterExpiry)).toEqual({ lots: 0, expired: 0, kept: 1 });
    expect(await snapshot()).toEqual(before);

    const postId = randomUUID();
    expect(await ledger.post(m, { id: postId, pendingId: holdId, amount: 60 })).toEqual({ status: "created", posted: 60, released: 0 });
    expect(await consumptions(postId)).toEqual({ [l]: 60 });
    expect(await remaining(l)).toBe(0);

    const settled = await snapshot();
    expect(await ledger.expireLots(m, new Date(now + 3 * HOUR))).toEqual({ lots: 0, expired: 0, kept: 0 });
    expect(await snapshot()).toEqual(settled);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 0, held: 0, posted: 0 });
  });

  it("expires the kept remainder on the next run once the hold is voided", async () => {
    const userId = await newUser();
    const now = Date.now();
    const l = await lot(userId, 100, "subscription", { expiresAt: new Date(now + HOUR) });
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 60 });
    expect(await ledger.expireLots(m, new Date(now + 2 * HOUR))).toMatchObject({ lots: 1, expired: 40 });

    await ledger.voidHold(m, { id: randomUUID(), pendingId: holdId });
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 60, held: 0, posted: 60 });
    expect(await ledger.expireLots(m, new Date(now + 3 * HOUR))).toEqual({ lots: 1, expired: 60, kept: 0 });
    expect(await remaining(l)).toBe(0);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 0, held: 0, posted: 0 });

    const before = await snapshot();
    expect(await ledger.expireLots(m, new Date(now + 3 * HOUR))).toEqual({ lots: 0, expired: 0, kept: 0 });
    expect(await snapshot()).toEqual(before);
    const expiries: { amount: string }[] = await m.query(
      `SELECT amount FROM ledger_transfers WHERE type = 'expire' AND user_id = $1 ORDER BY amount`, [userId],
    );
    expect(expiries.map((r) => Number(r.amount))).toEqual([40, 60]);
  });

  it("concurrent expiry runs and captures expire each credit at most once", async () => {
    const now = Date.now();
    const users: { userId: string; holdId: string; lotId: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const userId = await newUser();
      const lotId = await lot(userId, 100, "promotional", { expiresAt: new Date(now + HOUR) });
      const holdId = randomUUID();
      await ledger.hold(m, { id: holdId, userId, amount: 60 });
      await expiresAfterHold(lotId, holdId);
      users.push({ userId, holdId, lotId });
    }
    const later = Date.now() + 1000;
    const results = await Promise.all([
      ledger.expireLots(m, new Date(later)),
      ...users.map((u) => ledger.post(m, { id: randomUUID(), pendingId: u.holdId, amount: 60 })),
      ledger.expireLots(m, new Date(later)),
      ledger.expireLots(m, new Date(later)),
    ]);
    // Whatever the interleaving: 40 of each lot expires, 60 is captured.
    const runs = [results[0], ...results.slice(-2)] as ledger.ExpireLotsResult[];
    const final = await ledger.expireLots(m, new Date(later));
    expect(final).toEqual({ lots: 0, expired: 0, kept: 0 });
    expect(runs.reduce((s, r) => s + r.expired, 0)).toBe(20 * 40);
    for (const u of users) {
      expect(await remaining(u.lotId)).toBe(0);
      expect(await ledger.balances(m, u.userId)).toMatchObject({ available: 0, held: 0, posted: 0 });
    }
  });

  it("a second expiry on the same account after a purchase, with no hold, keeps the purchase", async () => {
    const userId = await newUser();
    const now = Date.now();
    await lot(userId, 30, "subscription", { expiresAt: new Date(now + HOUR) });
    expect(await ledger.expireLots(m, new Date(now + 2 * HOUR))).toMatchObject({ lots: 1, expired: 30 });
    const bought = await lot(userId, 50, "purchase");
    expect(await ledger.expireLots(m, new Date(now + 2 * HOUR))).toEqual({ lots: 0, expired: 0, kept: 0 });
    expect(await remaining(bought)).toBe(50);
    await expect(ledger.hold(m, { id: randomUUID(), userId, amount: 51 })).rejects.toBeInstanceOf(InsufficientCredits);
  });

  it("a job captured before the period ends costs the subscription lot, not the purchased credits", async () => {
    const userId = await newUser();
    const now = Date.now();
    const sub = await lot(userId, 100, "subscription", { expiresAt: new Date(now + HOUR) });
    const bought = await lot(userId, 50, "purchase");
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 60 });
    await ledger.post(m, { id: randomUUID(), pendingId: holdId, amount: 60 });
    expect(await ledger.expireLots(m, new Date(now + 2 * HOUR))).toEqual({ lots: 1, expired: 40, kept: 0 });
    expect(await remaining(sub)).toBe(0);
    expect(await remaining(bought)).toBe(50);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 50, held: 0, posted: 50 });
  });

  /*
   * Regression: expiry keeps what holds need by burn order among the due
   * lots, so credits that are not expiring (a purchase) never count as
   * covering a hold that the expiring lot will pay for.
   */
  it("a job captured after the period ends still costs the subscription lot, not the purchased credits", async () => {
    const userId = await newUser();
    const now = Date.now();
    const sub = await lot(userId, 100, "subscription", { expiresAt: new Date(now + HOUR) });
    const bought = await lot(userId, 50, "purchase");
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 60 });
    // 40 expire, 60 stay in the subscription lot for the hold.
    expect(await ledger.expireLots(m, new Date(now + 2 * HOUR))).toMatchObject({ lots: 1, expired: 40 });
    await ledger.post(m, { id: randomUUID(), pendingId: holdId, amount: 60 });
    expect(await remaining(sub)).toBe(0);
    expect(await remaining(bought)).toBe(50);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 50, held: 0, posted: 50 });
  });

  /* Regression: a purchase made while an expired remainder is kept for a hold survives the next run. */
  it("credits bought while an expired remainder is kept for a hold survive the next expiry run", async () => {
    const userId = await newUser();
    const now = Date.now();
    await lot(userId, 100, "subscription", { expiresAt: new Date(now + HOUR) });
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 60 });
    const afterExpiry = new Date(now + 2 * HOUR);
    expect(await ledger.expireLots(m, afterExpiry)).toMatchObject({ lots: 1, expired: 40 });

    const bought = await lot(userId, 50, "purchase");
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 50, held: 60, posted: 110 });
    // Nothing new is due and the hold still needs exactly the kept 60.
    expect(await ledger.expireLots(m, afterExpiry)).toMatchObject({ expired: 0 });
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 50, held: 60, posted: 110 });
    await ledger.post(m, { id: randomUUID(), pendingId: holdId, amount: 60 });
    expect(await remaining(bought)).toBe(50);
  });
});
