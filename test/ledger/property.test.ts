/**
 * Model-based property test: random sequences of grant / hold / post / void /
 * expirePending / expireLots / adjust / retry across several users and two
 * credit types, against a plain in-memory model of every account, lot and
 * hold. After every step the database must agree with the model exactly,
 * `checkLedger` must find nothing and no user account may be below zero.
 *
 * Time: expireLots takes its "now" as an argument, but ledger_burn_lots
 * decides "expired" with the database's now(). So the simulated clock runs
 * far in the future (each run its own year, earlier for each later run, so
 * runs never expire each other's lots), future lots expire relative to it,
 * and "past" lots expire years before the real now — for those both clocks
 * agree they are expired, which exercises the expired-remainders-first rule
 * and that credits past their expiry back no new hold before they are swept.
 */
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import type { EntityManager } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LotCategory } from "../../src/entities/ledger-lot";
import { InsufficientCredits } from "../../src/errors";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { createTestDb, type TestDb } from "../helpers/db";

const USERS = 3;
const TYPES = ["standard", "gpu"] as const;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SIM_EPOCH = Date.UTC(9000, 0, 1);
const RUN_SPACING = 366 * DAY;
const NUM_RUNS = Number(process.env.LEDGER_PROPERTY_RUNS ?? 35);

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db.close();
});

type HoldRef = { pending: boolean; n: number };
type Expiry = { kind: "none" } | { kind: "past"; days: number } | { kind: "future"; hours: number };

type Op =
  | { op: "grant"; u: number; t: number; amount: number; category: LotCategory; priority: number | null; expiry: Expiry }
  /** `fit`: scale amount into what is available (when anything is), so most holds are admitted. */
  | { op: "hold"; u: number; t: number; amount: number; fit: boolean }
  | { op: "post"; h: HoldRef; pct: number }
  | { op: "void"; h: HoldRef }
  | { op: "expirePending"; h: HoldRef }
  | { op: "expireLots"; advanceHours: number }
  | { op: "adjust"; u: number; t: number; amount: number; expiry: Expiry }
  | { op: "retry" };

// Skewed towards one account, so lots pile up where burn order and expiry interact.
const user = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) });
const type = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) });
/** Which hold a settle targets: mostly one still pending, sometimes any (to race resolved ones). */
const holdRef: fc.Arbitrary<HoldRef> = fc.record({
  pending: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  n: fc.nat({ max: 1000 }),
});
const expiry: fc.Arbitrary<Expiry> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: "none" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("past" as const), days: fc.integer({ min: 1, max: 5000 }) }) },
  // Soon (due within a few expiry runs) or much later (so a newer lot can expire before an older one).
  { weight: 3, arbitrary: fc.record({
    kind: fc.constant("future" as const), hours: fc.oneof(fc.integer({ min: 1, max: 96 }), fc.integer({ min: 97, max: 2000 })),
  }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({
    op: fc.constant("grant" as const), u: user, t: type, amount: fc.integer({ min: 1, max: 100 }),
    category: fc.constantFrom<LotCategory>("subscription", "purchase", "promotional", "admin"),
    priority: fc.option(fc.constantFrom(0, 10, 20, 30, 40), { nil: null, freq: 3 }), expiry,
  }) },
  { weight: 6, arbitrary: fc.record({
    op: fc.constant("hold" as const), u: user, t: type, amount: fc.integer({ min: 1, max: 40 }),
    fit: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("post" as const), h: holdRef, pct: fc.integer({ min: 0, max: 110 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("void" as const), h: holdRef }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("expirePending" as const), h: holdRef }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("expireLots" as const), advanceHours: fc.integer({ min: 0, max: 72 }) }) },
  { weight: 2, arbitrary: fc.record({
    op: fc.constant("adjust" as const), u: user, t: type,
    amount: fc.oneof(fc.integer({ min: -120, max: -1 }), fc.integer({ min: 1, max: 80 })), expiry,
  }) },
  { weight: 1, arbitrary: fc.constant({ op: "retry" as const }) },
);

type HoldState = "pending" | "posted" | "voided" | "expired";
interface MLot { id: string; key: string; priority: number; expiresAt: number | null; seq: number; remaining: number }
interface MHold { id: string; key: string; amount: number; state: HoldState; postedAmount: number }

/** What the ledger should hold: per account posted and held, every lot, every hold. */
class Model {
  readonly posted = new Map<string, number>();
  readonly held = new Map<string, number>();
  readonly lots: MLot[] = [];
  readonly holds: MHold[] = [];
  private seq = 0;

  /** What a debit (admin removal) may take: posted − held. */
  available(key: string): number {
    return this.postedOf(key) - this.heldOf(key);
  }
  /**
   * What a new hold may take (and the balance shows as available): remainders of lots past their
   * expiry by the database's clock, not swept yet, back no new hold unless a hold placed before they
   * expired still needs them (ledger_expired_unbacked). Such lots are the "past" ones, expired years
   * before any hold here was placed, so none backs a hold: posted − held − their remainders.
   */
  holdable(key: string): number {
    const now = Date.now();
    const expired = this.lots.filter((l) => l.key === key && l.expiresAt !== null && l.expiresAt <= now).reduce((s, l) => s + l.remaining, 0);
    return Math.max(0, this.available(key) - expired);
  }
  postedOf(key: string): number {
    return this.posted.get(key) ?? 0;
  }
  heldOf(key: string): number {
    return this.held.get(key) ?? 0;
  }

  addLot(key: string, id: string, amount: number, priority: number, expiresAt: number | null): void {
    this.lots.push({ id, key, priority, expiresAt, seq: this.seq++, remaining: amount });
    this.posted.set(key, this.postedOf(key) + amount);
  }

  /** ledger_burn_lots: expired remainders (by the database's clock) first, then priority, earliest expiry, oldest. */
  burn(key: string, amount: number): void {
    const now = Date.now();
    const expired = (l: MLot): number => (l.expiresAt !== null && l.expiresAt <= now ? 0 : 1);
    const order = this.lots.filter((l) => l.key === key && l.remaining > 0).sort((a, b) =>
      expired(a) - expired(b) || a.priority - b.priority ||
      (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.seq - b.seq);
    let left = amount;
    for (const l of order) {
      const take = Math.min(left, l.remaining);
      l.remaining -= take;
      left -= take;
    }
    if (left > 0) throw new Error(`model: lots of ${key} are ${left} short`);
    this.posted.set(key, this.postedOf(key) - amount);
  }

  resolve(h: MHold, state: HoldState, postedAmount: number): void {
    h.state = state;
    h.postedAmount = postedAmount;
    this.held.set(h.key, this.heldOf(h.key) - h.amount);
    if (postedAmount > 0) this.burn(h.key, postedAmount);
  }

  /**
   * expireLots: each due lot keeps what the account's holds need, by burn
   * order among the due lots (priority, earliest expiry, oldest):
   * clamp(held − remaining of due lots burning before it, 0, remaining).
   */
  expire(now: number): void {
    const due = this.lots.filter((l) => l.remaining > 0 && l.expiresAt !== null && l.expiresAt <= now);
    const burnsBefore = (a: MLot, b: MLot): boolean =>
      a.priority !== b.priority ? a.priority < b.priority : a.expiresAt! !== b.expiresAt! ? a.expiresAt! < b.expiresAt! : a.seq < b.seq;
    for (const l of [...due].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      const before = due.filter((o) => o !== l && o.key === l.key && o.remaining > 0 && burnsBefore(o, l)).reduce((s, o) => s + o.remaining, 0);
      // Only holds placed before the lot expired keep it: all of them for a lot due by the simulated clock, none for a "past" one.
      const heldBefore = l.expiresAt! <= Date.now() ? 0 : this.heldOf(l.key);
      const keep = Math.max(0, Math.min(l.remaining, heldBefore - before));
      const amount = Math.min(l.remaining - keep, this.available(l.key));
      if (amount <= 0) continue;
      l.remaining -= amount;
      this.posted.set(l.key, this.postedOf(l.key) - amount);
    }
  }
}

let runIndex = 0;

async function runSequence(ops: Op[]): Promise<void> {
  const m: EntityManager = db.ds.manager;
  const userIds: string[] = [];
  for (let i = 0; i < USERS; i++) userIds.push((await createUser(m, { email: `prop-${randomUUID()}@example.com` })).user.id);
  const model = new Model();
  let simNow = SIM_EPOCH - runIndex++ * RUN_SPACING;
  let retry: (() => Promise<void>) | null = null;
  const key = (u: number, t: number) => `${u}:${t}`;
  const expiresAt = (e: Expiry): number | null =>
    e.kind === "none" ? null : e.kind === "past" ? Date.now() - e.days * DAY : simNow + e.hours * HOUR;

  const pick = (h: HoldRef): MHold | undefined => {
    const open = model.holds.filter((x) => x.state === "pending");
    const from = h.pending && open.length > 0 ? open : model.holds;
    return from[h.n % Math.max(1, from.length)];
  };

  const settle = async (h: HoldRef, pct: number, state: "posted" | "voided" | "expired"): Promise<void> => {
    const hold = pick(h);
    if (!hold) return;
    const amount = Math.round((hold.amount * pct) / 100);
    const id = randomUUID();
    const call = () => state === "expired"
      ? ledger.expirePending(m, { id, pendingId: hold.id })
      : state === "voided" ? ledger.voidHold(m, { id, pendingId: hold.id }) : ledger.post(m, { id, pendingId: hold.id, amount });
    if (hold.state !== "pending") {
      expect(await call()).toEqual({ status: `already_${hold.state}`, posted: hold.postedAmount, released: hold.amount - hold.postedAmount });
      return;
    }
    if (amount > hold.amount) {
      await expect(call()).rejects.toMatchObject({ status: "exceeds_hold" });
      return;
    }
    const expected = { posted: amount, released: hold.amount - amount };
    expect(await call()).toEqual({ status: "created", ...expected });
    model.resolve(hold, amount > 0 ? "posted" : state === "expired" ? "expired" : "voided", amount);
    retry = async () => expect(await call()).toEqual({ status: "exists", ...expected });
  };

  const credit = async (u: number, t: number, amount: number, e: Expiry, grant: (id: string, exp: Date | null) => Promise<{ status: string; lotId?: string }>, priority: number): Promise<void> => {
    const id = randomUUID();
    const exp = expiresAt(e);
    const r = await grant(id, exp === null ? null : new Date(exp));
    expect(r.status).toBe("created");
    const lotId = r.lotId ?? ((await m.query(`SELECT id FROM ledger_lots WHERE grant_transfer_id = $1`, [id])) as { id: string }[])[0]!.id;
    model.addLot(key(u, t), lotId, amount, priority, exp);
    retry = async () => {
      const again = await grant(id, exp === null ? null : new Date(exp));
      expect(again.status).toBe("exists");
      if (again.lotId !== undefined) expect(again.lotId).toBe(lotId);
    };
  };

  const debitRefused = async (call: Promise<unknown>, required: number, available: number, creditType: string): Promise<void> => {
    const err = await call.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCredits);
    expect(err).toMatchObject({ required, available, creditType });
  };

  for (const [step, op] of ops.entries()) {
    switch (op.op) {
      case "grant":
        await credit(op.u, op.t, op.amount, op.expiry, (id, exp) => ledger.grant(m, {
          id, userId: userIds[op.u]!, amount: op.amount, creditType: TYPES[op.t], category: op.category,
          priority: op.priority ?? undefined, expiresAt: exp,
        }), op.priority ?? ledger.LOT_PRIORITY[op.category]);
        break;
      case "hold": {
        const k = key(op.u, op.t);
        const id = randomUUID();
        const avail = model.holdable(k);
        const amount = op.fit && avail > 0 ? 1 + ((op.amount - 1) % avail) : op.amount;
        const call = () => ledger.hold(m, { id, userId: userIds[op.u]!, amount, creditType: TYPES[op.t] });
        if (amount > avail) {
          await debitRefused(call(), amount, avail, TYPES[op.t]);
          break;
        }
        expect((await call()).status).toBe("created");
        model.holds.push({ id, key: k, amount, state: "pending", postedAmount: 0 });
        model.held.set(k, model.heldOf(k) + amount);
        retry = async () => expect((await call()).status).toBe("exists");
        break;
      }
      case "post":
        await settle(op.h, op.pct, "posted");
        break;
      case "void":
        await settle(op.h, 0, "voided");
        break;
      case "expirePending":
        await settle(op.h, 0, "expired");
        break;
      case "expireLots":
        simNow += op.advanceHours * HOUR;
        await ledger.expireLots(m, new Date(simNow));
        model.expire(simNow);
        break;
      case "adjust": {
        const k = key(op.u, op.t);
        const input = { userId: userIds[op.u]!, amount: op.amount, creditType: TYPES[op.t], description: `property step ${step}` };
        if (op.amount > 0) {
          await credit(op.u, op.t, op.amount, op.expiry,
            (id, exp) => ledger.adjust(m, { ...input, id, expiresAt: exp }), ledger.LOT_PRIORITY.admin);
          break;
        }
        const id = randomUUID();
        if (-op.amount > model.available(k)) {
          await debitRefused(ledger.adjust(m, { ...input, id }), -op.amount, model.available(k), TYPES[op.t]);
          break;
        }
        expect((await ledger.adjust(m, { ...input, id })).status).toBe("created");
        model.burn(k, -op.amount);
        retry = async () => expect((await ledger.adjust(m, { ...input, id })).status).toBe("exists");
        break;
      }
      case "retry":
        if (retry) await retry();
        break;
    }
    await compare(m, model, userIds, `step ${step} ${JSON.stringify(op)}`);
  }
}

async function compare(m: EntityManager, model: Model, userIds: string[], where: string): Promise<void> {
  for (const [u, userId] of userIds.entries()) {
    const { by_type: byType } = await ledger.balances(m, userId);
    for (const [t, creditType] of TYPES.entries()) {
      const k = `${u}:${t}`;
      const b = byType.find((x) => x.credit_type === creditType) ?? { available: 0, held: 0, posted: 0 };
      expect({ available: b.available, held: b.held, posted: b.posted }, `${where}: balances of ${k}`)
        .toEqual({ available: model.holdable(k), held: model.heldOf(k), posted: model.postedOf(k) });
    }
  }
  const lots: { id: string; remaining: string }[] = await m.query(
    `SELECT id, remaining FROM ledger_lots WHERE id = ANY($1::uuid[])`, [model.lots.map((l) => l.id)],
  );
  expect(Object.fromEntries(lots.map((l) => [l.id, Number(l.remaining)])), `${where}: lots`)
    .toEqual(Object.fromEntries(model.lots.map((l) => [l.id, l.remaining])));
  const holds: { transfer_id: string; state: string; posted_amount: string }[] = await m.query(
    `SELECT transfer_id, state, posted_amount FROM ledger_pending WHERE transfer_id = ANY($1::uuid[])`, [model.holds.map((h) => h.id)],
  );
  expect(Object.fromEntries(holds.map((h) => [h.transfer_id, `${h.state} ${h.posted_amount}`])), `${where}: holds`)
    .toEqual(Object.fromEntries(model.holds.map((h) => [h.id, `${h.state} ${h.postedAmount}`])));

  const report = await ledger.checkLedger(m);
  expect(report.problems, `${where}: checkLedger`).toEqual([]);
  const [neg] = (await m.query(
    `SELECT count(*)::int AS n FROM ledger_accounts WHERE kind = 'user' AND credits_posted - debits_posted - debits_pending < 0`,
  )) as [{ n: number }];
  expect(neg.n, `${where}: user accounts below zero`).toBe(0);
}

describe("ledger against a model", () => {
  // Passing takes ~12 s (35 runs × up to 50 steps, each followed by checkLedger). A failure shrinks (every candidate replays against
  // the database), so shrinking is cut off in time to print the counterexample.
  it("random operation sequences keep the database equal to the model and every invariant true", { timeout: 150_000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 50, size: "max" }), runSequence), {
      numRuns: NUM_RUNS,
      seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined,
      interruptAfterTimeLimit: 110_000,
      markInterruptAsFailure: true,
    });
  });
});
