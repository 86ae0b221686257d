/**
 * ledger_settle_many: many pending transfers, of any accounts, resolved in one
 * call — each exactly as ledger_settle (ledger.post / voidHold /
 * expirePending) resolves it on its own. Checked against twins: the same
 * holds on a second set of accounts, settled one by one, must end with the
 * same outcomes, balances, transfer rows, pending states and lot burns.
 *
 * Then the races: many calls at once, each on its own connection, settling
 * holds of overlapping sets of accounts in random orders while holds are
 * written on the same accounts. Every call must succeed (the batch takes its
 * row locks in the ledger's global order, so no 40P01), and the balances must
 * come out exact. db.close() runs the ledger invariant checker.
 */
import { createHash, randomUUID } from "node:crypto";
import type { EntityManager, QueryRunner } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { waitForLockWaiters } from "../helpers/barrier";
import { createTestDb, type TestDb } from "../helpers/db";
import { failure, rng, shuffle } from "../helpers/util";
import { backendPids, connectRunners } from "../helpers/ledger";

const CT = "standard";
const INVALID_PARAMETER = "22023";
const SETTLE_MANY_SQL =
  `SELECT pending_id, status, posted::int AS posted, released::int AS released
     FROM ledger_settle_many($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[])`;

/** Connections for the races: settle_many callers and hold writers. */
const SETTLERS = 12;
const HOLDERS = 6;

let db: TestDb;
let m: EntityManager;
let conns: QueryRunner[];
beforeAll(async () => {
  db = await createTestDb({ poolSize: SETTLERS + HOLDERS + 8 });
  m = db.ds.manager;
  conns = await connectRunners(db.ds, SETTLERS + HOLDERS);
  const pids = await backendPids(conns);
  expect(new Set(pids).size).toBe(conns.length);
});
afterAll(async () => {
  for (const qr of conns ?? []) await qr.release();
  await db.close();
});

interface Item extends ledger.SettleManyItem {
  /** Which one-hold wrapper does the same (twins only; ledger_settle_many does not see it). */
  via?: "post" | "void" | "expire";
}

interface Row {
  pending_id: string;
  status: string;
  posted: number;
  released: number;
}

async function settleMany(items: Item[], c: EntityManager = m): Promise<Row[]> {
  const rows = await ledger.settleMany(c, items);
  return rows.map((r) => ({ pending_id: r.pendingId, status: r.status, posted: r.posted, released: r.released }));
}

/** What one ledger_settle_many row says, in the shape of ledger.SettleResult. */
const outcome = (r: Row) => ({ status: r.status, posted: r.posted, released: r.released });

interface Funded { userId: string; accountId: string }

/** A user with two lots (promotional 7 burns before purchase), so posts can spill from one lot into the next. */
async function funded(purchase = 40, promo = 7): Promise<Funded> {
  const { user } = await createUser(m, { email: `sm-${randomUUID()}@example.com` });
  const g = await ledger.grant(m, { id: randomUUID(), userId: user.id, amount: purchase, category: "purchase" });
  if (promo > 0) await ledger.grant(m, { id: randomUUID(), userId: user.id, amount: promo, category: "promotional" });
  return { userId: user.id, accountId: g.accountId };
}

/** ledger_settle's id for the released remainder of a post. */
const releaseId = (settleId: string) => {
  const h = createHash("md5").update(`${settleId}:release`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/**
 * Everything a settlement changes about a set of holds, with ids replaced by
 * their position, so twins on different accounts compare equal: the user's
 * balances, lots (by category), each hold's pending row, the rows resolving
 * it (which id each uses, which accounts each moves between), and the lot
 * burns of each post.
 */
async function settledState(userId: string, accountId: string, holds: string[], settles: (string | null)[]): Promise<unknown> {
  const lots: unknown[] = await m.query(
    `SELECT category, amount::int AS amount, remaining::int AS remaining FROM ledger_lots WHERE account_id = $1 ORDER BY priority, created_at`,
    [accountId],
  );
  const perHold = [];
  for (let k = 0; k < holds.length; k++) {
    const h = holds[k]!;
    const s = settles[k];
    const [p] = (await m.query(
      `SELECT state, amount::int AS amount, posted_amount::int AS posted, resolved_by, resolved_at IS NOT NULL AS resolved
         FROM ledger_pending WHERE transfer_id = $1`,
      [h],
    )) as { state: string; amount: number; posted: number; resolved_by: string | null; resolved: boolean }[];
    const [hold] = (await m.query(`SELECT credit_account_id FROM ledger_transfers WHERE id = $1`, [h])) as [{ credit_account_id: string }];
    const rows: { id: string; kind: string; type: string; amount: number; description: string | null; debit: string; credit: string;
      credit_type: string; user_id: string }[] = await m.query(
      `SELECT id, kind, type, amount::int AS amount, description, debit_account_id AS debit, credit_account_id AS credit, credit_type, user_id
         FROM ledger_transfers WHERE pending_id = $1 ORDER BY kind`,
      [h],
    );
    const burns: unknown[] = await m.query(
      `SELECT l.category, c.amount::int AS amount FROM ledger_lot_consumptions c JOIN ledger_lots l ON l.id = c.lot_id
        WHERE c.transfer_id = ANY ($1::uuid[]) ORDER BY l.priority`,
      [rows.map((r) => r.id)],
    );
    const role = (id: string) => (id === s ? "settle id" : s && id === releaseId(s) ? "release id" : `other ${id}`);
    perHold.push({
      pending: p && { ...p, resolved_by: p.resolved_by === null ? null : role(p.resolved_by) },
      rows: rows.map((r) => ({
        id: role(r.id), kind: r.kind, type: r.type, amount: r.amount, description: r.description, credit_type: r.credit_type,
        // A resolution moves between the hold's own accounts: the user's and the system stripe the hold named.
        debit: r.debit === accountId ? "user" : r.debit, credit: r.credit === hold.credit_account_id ? "hold's stripe" : r.credit,
        user: r.user_id === userId,
      })),
      burns,
    });
  }
  return { balances: await ledger.balances(m, userId), lots, perHold };
}

type Action = "post-part" | "post-all" | "post-zero" | "void-release" | "void-refund" | "expire";

/** The settlement `action` asks for, on a hold of `held` credits. */
function itemFor(action: Action, id: string, pendingId: string, held: number): Item {
  switch (action) {
    case "post-part":
      return { id, pendingId, amount: Math.max(1, held - 2), releaseType: "release", voidState: "voided", description: "Job succeeded", via: "post" };
    case "post-all":
      return { id, pendingId, amount: held, releaseType: "release", voidState: "voided", description: "Job succeeded", via: "post" };
    case "post-zero":
      return { id, pendingId, amount: 0, releaseType: "release", voidState: "voided", description: "Job cancelled", via: "post" };
    case "void-release":
      return { id, pendingId, amount: 0, releaseType: "release", voidState: "voided", description: null, via: "void" };
    case "void-refund":
      return { id, pendingId, amount: 0, releaseType: "refund", voidState: "voided", description: "Job failed (platform): refunded", via: "void" };
    case "expire":
      return { id, pendingId, amount: 0, releaseType: "refund", voidState: "expired", description: "Hold expired", via: "expire" };
  }
}

/** The same settlement through the one-hold wrappers (post / voidHold / expirePending). */
async function settleOne(i: Item, c: EntityManager = m): Promise<ledger.SettleResult> {
  switch (i.via) {
    case "expire":
      return ledger.expirePending(c, { id: i.id, pendingId: i.pendingId, releaseType: i.releaseType, description: i.description });
    case "void":
      return ledger.voidHold(c, { id: i.id, pendingId: i.pendingId, releaseType: i.releaseType, description: i.description });
    default:
      return ledger.post(c, { id: i.id, pendingId: i.pendingId, amount: i.amount, releaseType: i.releaseType, description: i.description });
  }
}

async function holdsOn(accountId: string, amounts: number[], c: EntityManager = m): Promise<string[]> {
  const hs = amounts.map((amount) => ({ id: randomUUID(), amount }));
  const out = await ledger.holdEach(c, { accountId, creditType: CT, holds: hs });
  expect(out.map((o) => o.status)).toEqual(hs.map(() => "created"));
  return hs.map((h) => h.id);
}

describe("ledger_settle_many resolves each hold exactly as ledger_settle does", () => {
  const ACTIONS: Action[] = ["post-part", "post-all", "post-zero", "void-release", "void-refund", "expire"];

  it("a mix of partial and full posts, voids and expiries over four accounts in one call equals the same settles one by one on twins", async () => {
    const next = rng(4242);
    const PAIRS = 4;
    // Amounts chosen so that posts spill over the promotional lot (7) into the purchase lot.
    const amounts = [5, 8, 3, 6, 9, 4];
    const twins: { a: Funded; b: Funded; aHolds: string[]; bHolds: string[]; actions: Action[]; aSettles: string[]; bSettles: string[] }[] = [];
    for (let p = 0; p < PAIRS; p++) {
      const a = await funded();
      const b = await funded();
      const aHolds = await holdsOn(a.accountId, amounts);
      const bHolds = await holdsOn(b.accountId, amounts);
      // Every action on every account, in an order of its own.
      const actions = shuffle(ACTIONS, next);
      twins.push({ a, b, aHolds, bHolds, actions, aSettles: amounts.map(() => randomUUID()), bSettles: amounts.map(() => randomUUID()) });
    }
    // One call, the accounts' holds interleaved in a random order.
    const order = shuffle(twins.flatMap((_, p) => amounts.map((_a, k) => ({ p, k }))), next);
    const itemsA = order.map(({ p, k }) => itemFor(twins[p]!.actions[k]!, twins[p]!.aSettles[k]!, twins[p]!.aHolds[k]!, amounts[k]!));
    const itemsB = order.map(({ p, k }) => itemFor(twins[p]!.actions[k]!, twins[p]!.bSettles[k]!, twins[p]!.bHolds[k]!, amounts[k]!));

    const batch = await settleMany(itemsA);
    const single = [];
    for (const i of itemsB) single.push(await settleOne(i));

    // One row per item, in the order given, naming its hold.
    expect(batch.map((r) => r.pending_id)).toEqual(itemsA.map((i) => i.pendingId));
    expect(batch.map(outcome)).toEqual(single);
    expect(batch.every((r) => r.status === "created")).toBe(true);
    // The plan really covers every kind of resolution, partial and full posts included.
    expect(new Set(batch.map((r, i) => `${r.posted > 0}:${r.released > 0}:${itemsA[i]!.voidState}:${itemsA[i]!.releaseType}`)).size)
      .toBeGreaterThanOrEqual(5);

    for (const t of twins) {
      const sa = await settledState(t.a.userId, t.a.accountId, t.aHolds, t.aSettles);
      const sb = await settledState(t.b.userId, t.b.accountId, t.bHolds, t.bSettles);
      expect(sa).toEqual(sb);
      // Nothing is held any more; every charge came off the lots.
      expect(sa).toMatchObject({ balances: { held: 0 } });
    }
    const states: { state: string; n: number }[] = await m.query(
      `SELECT state, count(*)::int AS n FROM ledger_pending WHERE transfer_id = ANY ($1::uuid[]) GROUP BY state ORDER BY state`,
      [itemsA.map((i) => i.pendingId)],
    );
    expect(states).toEqual([
      { state: "expired", n: PAIRS },
      { state: "posted", n: 2 * PAIRS },
      { state: "voided", n: 3 * PAIRS },
    ]);
    expect((await ledger.checkLedger(m)).problems).toEqual([]);

    // The whole call again (same ids, same asks): `exists` for each, with what each got; nothing moves.
    const before = await Promise.all(twins.map((t) => settledState(t.a.userId, t.a.accountId, t.aHolds, t.aSettles)));
    const replay = await settleMany(itemsA);
    const replaySingle = [];
    for (const i of itemsB) replaySingle.push(await settleOne(i));
    expect(replay.map(outcome)).toEqual(batch.map((r) => ({ ...outcome(r), status: "exists" })));
    expect(replay.map(outcome)).toEqual(replaySingle);
    expect(await Promise.all(twins.map((t) => settledState(t.a.userId, t.a.accountId, t.aHolds, t.aSettles)))).toEqual(before);
  });

  it("holds resolved earlier give already_<state> with the earlier resolution's amounts; the new holds in the same call are settled", async () => {
    const a = await funded();
    const b = await funded();
    const [posted, voided, expired] = await holdsOn(a.accountId, [6, 4, 3]);
    const [fresh] = await holdsOn(b.accountId, [5]);
    await ledger.post(m, { id: randomUUID(), pendingId: posted!, amount: 2 });
    await ledger.voidHold(m, { id: randomUUID(), pendingId: voided!, releaseType: "release" });
    await ledger.expirePending(m, { id: randomUUID(), pendingId: expired! });
    const before = await ledger.balances(m, a.userId);
    expect(before).toMatchObject({ held: 0, posted: 45 });

    // New settlement ids on the resolved holds, asking for something else each time.
    const rows = await settleMany([
      itemFor("void-refund", randomUUID(), posted!, 6),
      itemFor("post-all", randomUUID(), fresh!, 5),
      itemFor("post-all", randomUUID(), voided!, 4),
      itemFor("post-part", randomUUID(), expired!, 3),
    ]);
    expect(rows.map((r) => [r.pending_id, r.status, r.posted, r.released])).toEqual([
      [posted, "already_posted", 2, 4],
      [fresh, "created", 5, 0],
      [voided, "already_voided", 0, 4],
      [expired, "already_expired", 0, 3],
    ]);
    expect(await ledger.balances(m, a.userId)).toEqual(before);
    expect(await ledger.balances(m, b.userId)).toMatchObject({ held: 0, posted: 42, available: 42 });
    const [n] = (await m.query(
      `SELECT count(*)::int AS n FROM ledger_transfers WHERE pending_id = ANY ($1::uuid[])`, [[posted, voided, expired]],
    )) as [{ n: number }];
    // post 2 of 6 (charge + release), a void, an expiry: nothing added by the call.
    expect(n.n).toBe(4);
  });

  it("a settlement id replayed with another amount is `conflict`, a post above the hold `exceeds_hold` — only for those items", async () => {
    const a = await funded();
    const [h1, h2, h3] = await holdsOn(a.accountId, [5, 5, 5]);
    const s1 = randomUUID();
    await ledger.post(m, { id: s1, pendingId: h1!, amount: 3 });
    const before = await ledger.balances(m, a.userId);
    const rows = await settleMany([
      itemFor("post-all", s1, h1!, 4), // s1 resolved h1 with 3
      { ...itemFor("post-all", randomUUID(), h2!, 5), amount: 6 },
      itemFor("void-release", randomUUID(), h3!, 5),
    ]);
    expect(rows.map((r) => [r.pending_id, r.status])).toEqual([[h1, "conflict"], [h2, "exceeds_hold"], [h3, "created"]]);
    expect(rows[2]).toMatchObject({ posted: 0, released: 5 });
    expect(await ledger.balances(m, a.userId)).toMatchObject({ available: before.available + 5, held: before.held - 5, posted: before.posted });
    const [p2] = (await m.query(`SELECT state FROM ledger_pending WHERE transfer_id = $1`, [h2])) as [{ state: string }];
    expect(p2.state).toBe("pending");
  });

  it("a pending id that does not exist (or names a grant) is `not_found` for that item only", async () => {
    const a = await funded();
    const b = await funded();
    const [ha] = await holdsOn(a.accountId, [4]);
    const [hb] = await holdsOn(b.accountId, [6]);
    const grantId = randomUUID();
    await ledger.grant(m, { id: grantId, userId: a.userId, amount: 1, category: "admin" });
    const missing = randomUUID();
    const rows = await settleMany([
      itemFor("post-all", randomUUID(), ha!, 4),
      itemFor("post-all", randomUUID(), missing, 4),
      itemFor("void-refund", randomUUID(), grantId, 1),
      itemFor("post-part", randomUUID(), hb!, 6),
    ]);
    expect(rows.map(outcome)).toEqual([
      { status: "created", posted: 4, released: 0 },
      { status: "not_found", posted: 0, released: 0 },
      { status: "not_found", posted: 0, released: 0 },
      { status: "created", posted: 4, released: 2 },
    ]);
    expect(rows.map((r) => r.pending_id)).toEqual([ha, missing, grantId, hb]);
    expect(await ledger.balances(m, a.userId)).toMatchObject({ held: 0, posted: 44 });
    expect(await ledger.balances(m, b.userId)).toMatchObject({ held: 0, posted: 43 });
  });
  it("seeded random batches over accounts with one to three lots equal the same settles one by one on twins (lots that cover a batch's charges, and spills)", async () => {
    const next = rng(9001);
    const CATEGORIES = ["subscription", "purchase", "promotional", "admin"] as const;
    let coveredByOneLot = 0;
    let spilled = 0;
    for (let round = 0; round < 12; round++) {
      const plan = Array.from({ length: 3 }, () => {
        const lots = Array.from({ length: 1 + Math.floor(next() * 3) }, () => ({
          amount: 3 + Math.floor(next() * 28),
          category: CATEGORIES[Math.floor(next() * CATEGORIES.length)]!,
          expiresAt: next() < 0.3 ? new Date(Date.now() + 3_600_000 * (1 + Math.floor(next() * 48))) : null,
        }));
        const total = lots.reduce((t, l) => t + l.amount, 0);
        const holds: number[] = [];
        let left = total;
        for (let k = 0, n = 1 + Math.floor(next() * 4); k < n && left > 0; k++) {
          const h = 1 + Math.floor(next() * Math.min(left, 12));
          holds.push(h);
          left -= h;
        }
        return { lots, holds, actions: holds.map(() => ACTIONS[Math.floor(next() * ACTIONS.length)]!) };
      });
      interface Twin { userId: string; accountId: string; holds: string[]; settles: string[] }
      const twin = async (p: (typeof plan)[number]): Promise<Twin> => {
        const { user } = await createUser(m, { email: `sm-${randomUUID()}@example.com` });
        let accountId = "";
        for (const l of p.lots) {
          accountId = (await ledger.grant(m, { id: randomUUID(), userId: user.id, amount: l.amount, category: l.category, expiresAt: l.expiresAt })).accountId;
        }
        const holds = await holdsOn(accountId, p.holds);
        return { userId: user.id, accountId, holds, settles: p.holds.map(() => randomUUID()) };
      };
      const as: Twin[] = [];
      const bs: Twin[] = [];
      for (const p of plan) {
        as.push(await twin(p));
        bs.push(await twin(p));
      }
      const order = shuffle(plan.flatMap((p, i) => p.holds.map((_h, k) => ({ i, k }))), next);
      const itemsA = order.map(({ i, k }) => itemFor(plan[i]!.actions[k]!, as[i]!.settles[k]!, as[i]!.holds[k]!, plan[i]!.holds[k]!));
      const itemsB = order.map(({ i, k }) => itemFor(plan[i]!.actions[k]!, bs[i]!.settles[k]!, bs[i]!.holds[k]!, plan[i]!.holds[k]!));
      const batch = await settleMany(itemsA);
      const single = [];
      for (const i of itemsB) single.push(await settleOne(i));
      expect(batch.map(outcome), `round ${round}`).toEqual(single);
      for (let i = 0; i < plan.length; i++) {
        const sa = await settledState(as[i]!.userId, as[i]!.accountId, as[i]!.holds, as[i]!.settles);
        expect(sa, `round ${round}, account ${i}`).toEqual(await settledState(bs[i]!.userId, bs[i]!.accountId, bs[i]!.holds, bs[i]!.settles));
        const [burns] = (await m.query(
          `SELECT count(*)::int AS rows, count(DISTINCT c.lot_id)::int AS lots, count(DISTINCT c.transfer_id)::int AS posts
             FROM ledger_lot_consumptions c WHERE c.transfer_id = ANY ($1::uuid[])`,
          [as[i]!.settles],
        )) as [{ rows: number; lots: number; posts: number }];
        if (burns.posts >= 2 && burns.lots === 1) coveredByOneLot++;
        if (burns.rows > burns.posts) spilled++;
      }
    }
    // Both ways of burning lots were exercised.
    expect(coveredByOneLot).toBeGreaterThan(0);
    expect(spilled).toBeGreaterThan(0);
    expect((await ledger.checkLedger(m)).problems).toEqual([]);
  });

  it("ids that collide inside one call answer as one ledger_settle after another would: a later reuse is `conflict`, or aborts the call", async () => {
    const a = await funded();
    const [h1, h2, h3, h4] = await holdsOn(a.accountId, [3, 4, 5, 2]);
    await ledger.post(m, { id: randomUUID(), pendingId: h2!, amount: 4 });
    // h1's charge takes id s; h2 (resolved by someone else) is asked for with s afterwards: s now names h1's charge.
    const s = randomUUID();
    expect((await settleMany([itemFor("post-all", s, h1!, 3), itemFor("post-all", s, h2!, 4)])).map(outcome)).toEqual([
      { status: "created", posted: 3, released: 0 },
      { status: "conflict", posted: 0, released: 0 },
    ]);
    // The other way round: h2 is answered before s2 names anything, then h3 is settled with s2.
    const s2 = randomUUID();
    expect((await settleMany([itemFor("void-refund", s2, h2!, 4), itemFor("void-release", s2, h3!, 5)])).map(outcome)).toEqual([
      { status: "already_posted", posted: 4, released: 0 },
      { status: "created", posted: 0, released: 5 },
    ]);
    const before = await ledger.balances(m, a.userId);
    // Two holds this call resolves, one id (or one's id the other's release id): ledger_settle raises HF409, undoing the call.
    const [h5, h6] = await holdsOn(a.accountId, [2, 2]);
    const s3 = randomUUID();
    expect(await failure(settleMany([itemFor("post-all", s3, h4!, 2), itemFor("void-refund", s3, h5!, 2)]))).toBe("HF409");
    expect(await failure(settleMany([itemFor("post-part", s3, h4!, 2), itemFor("void-refund", releaseId(s3), h6!, 2)]))).toBe("HF409");
    expect(await ledger.balances(m, a.userId)).toMatchObject({ available: before.available - 4, held: 6 });
    const states: { state: string }[] = await m.query(
      `SELECT state FROM ledger_pending WHERE transfer_id = ANY ($1::uuid[])`, [[h4, h5, h6]],
    );
    expect(states.map((x) => x.state)).toEqual(["pending", "pending", "pending"]);
  });
});

describe("ledger_settle_many refuses bad input and changes nothing", () => {
  async function snapshot(userIds: string[], holds: string[]): Promise<unknown> {
    const pend: unknown[] = await m.query(
      `SELECT transfer_id, state, posted_amount::int AS posted FROM ledger_pending WHERE transfer_id = ANY ($1::uuid[]) ORDER BY transfer_id`,
      [holds],
    );
    const [t] = (await m.query(`SELECT count(*)::int AS n FROM ledger_transfers`)) as [{ n: number }];
    return { balances: await Promise.all(userIds.map((u) => ledger.balances(m, u))), pend, transfers: t.n };
  }

  it("empty (or null) arrays: no rows, no error", async () => {
    const [t0] = (await m.query(`SELECT count(*)::int AS n FROM ledger_transfers`)) as [{ n: number }];
    expect(await settleMany([])).toEqual([]);
    expect(await m.query(SETTLE_MANY_SQL, [null, null, null, null, null, null])).toEqual([]);
    const [t1] = (await m.query(`SELECT count(*)::int AS n FROM ledger_transfers`)) as [{ n: number }];
    expect(t1.n).toBe(t0.n);
  });

  it("arrays of different lengths: SQLSTATE 22023, whichever array is short", async () => {
    const a = await funded();
    const b = await funded();
    const [ha] = await holdsOn(a.accountId, [4]);
    const [hb] = await holdsOn(b.accountId, [3]);
    const items = [itemFor("post-all", randomUUID(), ha!, 4), itemFor("void-refund", randomUUID(), hb!, 3)];
    const cols = [
      items.map((i) => i.id), items.map((i) => i.pendingId), items.map((i) => i.amount),
      items.map((i) => i.releaseType), items.map((i) => i.voidState), items.map((i) => i.description),
    ];
    const before = await snapshot([a.userId, b.userId], [ha!, hb!]);
    for (let short = 0; short < cols.length; short++) {
      const params = cols.map((c, i) => (i === short ? c.slice(0, 1) : c));
      expect(await failure(m.query(SETTLE_MANY_SQL, params)), `array ${short} short`).toBe(INVALID_PARAMETER);
      const nulled = cols.map((c, i) => (i === short ? null : c));
      expect(await failure(m.query(SETTLE_MANY_SQL, nulled)), `array ${short} null`).toBe(INVALID_PARAMETER);
    }
    expect(await snapshot([a.userId, b.userId], [ha!, hb!])).toEqual(before);
    // The same call with equal lengths goes through.
    expect((await settleMany(items)).map((r) => r.status)).toEqual(["created", "created"]);
  });

  it("the same pending id twice in one call: SQLSTATE 22023, and the call's other holds are not settled either", async () => {
    const a = await funded();
    const b = await funded();
    const [ha, ha2] = await holdsOn(a.accountId, [4, 2]);
    const [hb] = await holdsOn(b.accountId, [3]);
    const before = await snapshot([a.userId, b.userId], [ha!, ha2!, hb!]);
    expect(await failure(settleMany([
      itemFor("post-all", randomUUID(), hb!, 3),
      itemFor("post-all", randomUUID(), ha!, 4),
      itemFor("void-refund", randomUUID(), ha!, 4),
      itemFor("void-refund", randomUUID(), ha2!, 2),
    ]))).toBe(INVALID_PARAMETER);
    // Also when the twice-named hold is written in another case.
    expect(await failure(settleMany([
      itemFor("post-all", randomUUID(), ha!, 4),
      itemFor("post-all", randomUUID(), ha!.toUpperCase(), 4),
    ]))).toBe(INVALID_PARAMETER);
    expect(await snapshot([a.userId, b.userId], [ha!, ha2!, hb!])).toEqual(before);
  });

  it("one bad item (negative amount, unknown release type or void state, a settlement id already in use) aborts the whole call", async () => {
    const a = await funded();
    const b = await funded();
    const [ha] = await holdsOn(a.accountId, [4]);
    const [hb] = await holdsOn(b.accountId, [3]);
    const grantId = randomUUID();
    await ledger.grant(m, { id: grantId, userId: b.userId, amount: 1, category: "admin" });
    const good = itemFor("post-all", randomUUID(), ha!, 4);
    const before = await snapshot([a.userId, b.userId], [ha!, hb!]);
    expect(await failure(settleMany([good, { ...itemFor("post-all", randomUUID(), hb!, 3), amount: -1 }]))).toBe(INVALID_PARAMETER);
    expect(await failure(settleMany([good, { ...itemFor("void-refund", randomUUID(), hb!, 3), releaseType: "gift" as "refund" }])))
      .toBe(INVALID_PARAMETER);
    expect(await failure(settleMany([good, { ...itemFor("void-refund", randomUUID(), hb!, 3), voidState: "posted" as "voided" }])))
      .toBe(INVALID_PARAMETER);
    // ledger_settle raises HF409 when the settlement id already names another transfer; it undoes the batch too.
    expect(await failure(settleMany([good, itemFor("post-all", grantId, hb!, 3)]))).toBe("HF409");
    expect(await snapshot([a.userId, b.userId], [ha!, hb!])).toEqual(before);
  });
});

describe("concurrent ledger_settle_many calls over overlapping accounts, racing holds on the same accounts", () => {
  const ACCOUNTS = 8;
  const PER_CALL = 5;
  const HOLDS_PER_ACCOUNT = 2;
  const ROUNDS = 8;
  const FUNDS = 100_000;

  interface Planned { item: Item; accountIdx: number; held: number }

  it(`${ROUNDS} rounds of ${SETTLERS} calls (${PER_CALL} of ${ACCOUNTS} accounts each, random order) and ${HOLDERS} hold writers: no call fails, balances exact`, async () => {
    const next = rng(777);
    const accs: Funded[] = [];
    for (let a = 0; a < ACCOUNTS; a++) accs.push(await funded(FUNDS, 50));
    const ACTIONS: Action[] = ["post-part", "post-all", "post-zero", "void-release", "void-refund", "expire"];
    const expectedPosted = accs.map(() => 0);
    const raceHeld = accs.map(() => 0);
    const raceHolds: string[] = [];
    let waited = 0;

    for (let round = 0; round < ROUNDS; round++) {
      // Each call: PER_CALL of the accounts, HOLDS_PER_ACCOUNT holds of each, all interleaved at random.
      // The holds are written on the hold writers' connections, so the batches lock the very
      // system stripes the racing holds update.
      const plans: Planned[][] = [];
      let writer = 0;
      for (let c = 0; c < SETTLERS; c++) {
        const picked = shuffle([...Array(ACCOUNTS).keys()], next).slice(0, PER_CALL);
        const planned: Planned[] = [];
        for (const ai of picked) {
          const held = Array.from({ length: HOLDS_PER_ACCOUNT }, () => 1 + Math.floor(next() * 9));
          const hs = await holdsOn(accs[ai]!.accountId, held, conns[SETTLERS + (writer++ % HOLDERS)]!.manager);
          hs.forEach((h, k) => planned.push({
            item: itemFor(ACTIONS[Math.floor(next() * ACTIONS.length)]!, randomUUID(), h, held[k]!), accountIdx: ai, held: held[k]!,
          }));
        }
        plans.push(shuffle(planned, next));
      }

      // Hold writers: `hold` (account looked up), `holdEach` (a few holds on one account) and
      // ledger_hold_each_many (holds on three accounts) on random accounts.
      const holdCalls = conns.slice(SETTLERS).map((qr, w) => async () => {
        const ai = Math.floor(next() * ACCOUNTS);
        const out: { accountIdx: number; id: string; amount: number }[] = [];
        if (w % 3 === 0) {
          const id = randomUUID();
          const amount = 1 + (w % 3);
          const r = await ledger.hold(qr.manager, { id, userId: accs[ai]!.userId, amount });
          if (r.status === "created") out.push({ accountIdx: ai, id, amount });
        } else if (w % 3 === 2) {
          const idx = shuffle([...Array(ACCOUNTS).keys()], next).slice(0, 3);
          const hs = [...idx, ...[...idx].reverse()].map((a) => ({ id: randomUUID(), accountIdx: a, amount: 2 }));
          const rows: { id: string; status: string }[] = await qr.query(
            `SELECT id, status FROM ledger_hold_each_many($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[], $5::uuid[], $6::text[])`,
            [hs.map((h) => h.id), hs.map((h) => accs[h.accountIdx]!.accountId), hs.map((h) => h.amount), hs.map(() => null),
              hs.map(() => null), hs.map(() => null)],
          );
          rows.forEach((r, k) => {
            if (r.status === "created") out.push(hs[k]!);
          });
        } else {
          const hs = Array.from({ length: 3 }, (_, k) => ({ id: randomUUID(), amount: 1 + k }));
          const r = await ledger.holdEach(qr.manager, { accountId: accs[ai]!.accountId, creditType: CT, holds: hs });
          r.forEach((o, k) => {
            if (o.status === "created") out.push({ accountIdx: ai, id: hs[k]!.id, amount: hs[k]!.amount });
          });
        }
        return out;
      });
      const settleCalls = plans.map((plan, c) => () => settleMany(plan.map((p) => p.item), conns[c]!.manager));

      let results: [PromiseSettledResult<Row[]>[], PromiseSettledResult<{ accountIdx: number; id: string; amount: number }[]>[]];
      if (round % 2 === 0) {
        // Behind a barrier: all accounts locked, every call sent and seen waiting, then released at once.
        const blocker = db.ds.createQueryRunner();
        await blocker.connect();
        await blocker.startTransaction();
        await blocker.query(`SELECT 1 FROM ledger_accounts WHERE id = ANY ($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [accs.map((a) => a.accountId)]);
        const s = Promise.allSettled(settleCalls.map((f) => f()));
        const h = Promise.allSettled(holdCalls.map((f) => f()));
        await waitForLockWaiters(db.ds, SETTLERS + HOLDERS);
        waited++;
        await blocker.commitTransaction();
        await blocker.release();
        results = [await s, await h];
      } else {
        results = await Promise.all([
          Promise.allSettled(settleCalls.map((f) => f())),
          Promise.allSettled(holdCalls.map((f) => f())),
        ]);
      }

      const [settled, held] = results;
      const failures = [...settled, ...held].filter((r) => r.status === "rejected")
        .map((r) => `${(r.reason as { code?: string }).code ?? ""} ${String(r.reason)}`);
      expect(failures, `round ${round}`).toEqual([]);
      settled.forEach((r, c) => {
        const rows = (r as PromiseFulfilledResult<Row[]>).value;
        const plan = plans[c]!;
        expect(rows.map((x) => x.pending_id), `round ${round}, call ${c}`).toEqual(plan.map((p) => p.item.pendingId));
        rows.forEach((x, i) => {
          const p = plan[i]!;
          expect(outcome(x), `round ${round}, call ${c}, item ${i}`).toEqual({
            status: "created", posted: p.item.amount, released: p.held - p.item.amount,
          });
          expectedPosted[p.accountIdx] = expectedPosted[p.accountIdx]! + p.item.amount;
        });
      });
      for (const r of held) {
        for (const h of (r as PromiseFulfilledResult<{ accountIdx: number; id: string; amount: number }[]>).value) {
          raceHeld[h.accountIdx] = raceHeld[h.accountIdx]! + h.amount;
          raceHolds.push(h.id);
        }
      }

      // Exact after every round: what was granted, less what was posted, less what the racing holds keep.
      for (let a = 0; a < ACCOUNTS; a++) {
        const posted = FUNDS + 50 - expectedPosted[a]!;
        expect(await ledger.balances(m, accs[a]!.userId), `round ${round}, account ${a}`).toMatchObject({
          posted, held: raceHeld[a], available: posted - raceHeld[a]!,
        });
      }
    }
    expect(waited).toBe(ROUNDS / 2);
    const [p] = (await m.query(
      `SELECT count(*)::int AS n FROM ledger_pending WHERE transfer_id = ANY ($1::uuid[]) AND state = 'pending'`, [raceHolds],
    )) as [{ n: number }];
    expect(p.n).toBe(raceHolds.length);
    expect((await ledger.checkLedger(m)).problems).toEqual([]);
  });

  it("the same holds named by several concurrent calls: each hold resolved exactly once, the losers told `already_<state>`", async () => {
    const next = rng(99);
    const accs: Funded[] = [];
    for (let a = 0; a < ACCOUNTS; a++) accs.push(await funded(1000, 0));
    for (let round = 0; round < 4; round++) {
      // 16 holds over the 8 accounts; each call settles 8 of them (in its own order and its own way).
      const holds: { id: string; accountIdx: number; held: number }[] = [];
      for (let a = 0; a < ACCOUNTS; a++) {
        const hs = await holdsOn(accs[a]!.accountId, [4, 6]);
        holds.push({ id: hs[0]!, accountIdx: a, held: 4 }, { id: hs[1]!, accountIdx: a, held: 6 });
      }
      const ACTIONS: Action[] = ["post-part", "post-all", "void-refund", "expire"];
      const plans = conns.slice(0, SETTLERS).map(() => shuffle(holds, next).slice(0, 8)
        .map((h) => ({ h, item: itemFor(ACTIONS[Math.floor(next() * ACTIONS.length)]!, randomUUID(), h.id, h.held) })));
      const before = await Promise.all(accs.map((a) => ledger.balances(m, a.userId)));
      const settled = await Promise.allSettled(plans.map((plan, c) => settleMany(plan.map((p) => p.item), conns[c]!.manager)));
      const rows = settled.map((r) => {
        if (r.status === "rejected") throw r.reason;
        return r.value;
      });
      const wins = new Map<string, { posted: number; released: number; state: string }>();
      rows.forEach((rs, c) => rs.forEach((r, i) => {
        const item = plans[c]![i]!.item;
        if (r.status !== "created") return;
        expect(wins.has(r.pending_id), `round ${round}: ${r.pending_id} resolved twice`).toBe(false);
        wins.set(r.pending_id, { posted: r.posted, released: r.released,
          state: item.amount > 0 ? "posted" : item.voidState });
      }));
      // Every named hold was resolved by someone; the others were told who won and with what.
      const named = new Set(plans.flat().map((p) => p.h.id));
      expect([...wins.keys()].sort()).toEqual([...named].sort());
      rows.forEach((rs) => rs.forEach((r) => {
        const w = wins.get(r.pending_id)!;
        if (r.status !== "created") expect(outcome(r)).toEqual({ status: `already_${w.state}`, posted: w.posted, released: w.released });
      }));
      for (let a = 0; a < ACCOUNTS; a++) {
        const postedNow = holds.filter((h) => h.accountIdx === a && wins.has(h.id)).reduce((s, h) => s + wins.get(h.id)!.posted, 0);
        const stillHeld = holds.filter((h) => h.accountIdx === a && !wins.has(h.id)).reduce((s, h) => s + h.held, 0);
        expect(await ledger.balances(m, accs[a]!.userId)).toMatchObject({ posted: before[a]!.posted - postedNow, held: stillHeld });
      }
      // Settle what no call named, so the next round starts clean.
      const rest = holds.filter((h) => !wins.has(h.id));
      if (rest.length) await settleMany(rest.map((h) => itemFor("void-release", randomUUID(), h.id, h.held)));
    }
  });
});
