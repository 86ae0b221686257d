/**
 * holdEach (ledger_hold_each): many holds on one account in one call, each
 * admitted or refused on its own in the order given — exactly what the same
 * holds sent one by one through `hold` would get. A refused hold reports what
 * was left at its point in the batch; a later, smaller hold that still fits
 * is admitted. Ids already used are `exists` (same hold) or `conflict`.
 *
 * The concurrent batches run each on its own connection, behind a lock
 * barrier on the account row (see helpers/barrier), so they really overlap
 * inside the database.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager, QueryRunner } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InsufficientCredits, LedgerConflict } from "../../src/errors";
import * as ledger from "../../src/ledger";
import { behindLock } from "../helpers/barrier";
import { createTestDb, type TestDb } from "../helpers/db";
import { failure, rng } from "../helpers/util";
import { backendPids, connectRunners, fundedAccount } from "../helpers/ledger";

const CT = "standard";
const BATCHES = 20;
const PER_BATCH = 10;
const BALANCE = 50;
const INVALID_PARAMETER = "22023";
const HOLD_EACH_SQL =
  `SELECT * FROM ledger_hold_each($1::uuid[], $2, $3::bigint[], $4::timestamptz[], $5::uuid[], $6::text[])`;

let db: TestDb;
let m: EntityManager;
let conns: QueryRunner[];
beforeAll(async () => {
  db = await createTestDb({ poolSize: BATCHES + 6 });
  m = db.ds.manager;
  conns = await connectRunners(db.ds, BATCHES);
  const pids = await backendPids(conns);
  expect(new Set(pids).size).toBe(BATCHES);
});
afterAll(async () => {
  for (const qr of conns ?? []) await qr.release();
  await db.close();
});

const funded = (amount: number) => fundedAccount(m, amount);

function ids(n: number): string[] {
  return Array.from({ length: n }, () => randomUUID());
}

function holdEach(accountId: string, holds: { id: string; amount: number }[], c: EntityManager = m): Promise<ledger.HoldOutcome[]> {
  return ledger.holdEach(c, { accountId, creditType: CT, holds });
}

/** An outcome as plain data: what a caller can tell apart. */
type Summary = { status: string; required?: number; available?: number; creditType?: string };

function summary(o: ledger.HoldOutcome): Summary {
  if (o.status === "insufficient") {
    expect(o.error).toBeInstanceOf(InsufficientCredits);
    return { status: o.status, required: o.error.required, available: o.error.available, creditType: o.error.creditType };
  }
  if (o.status === "conflict") {
    expect(o.error).toBeInstanceOf(LedgerConflict);
    return { status: o.status };
  }
  return { status: o.status };
}

/** The same holds sent one by one through `hold`, each outcome in the same shape. */
async function oneByOne(userId: string, holds: { id: string; amount: number }[]): Promise<Summary[]> {
  const out: Summary[] = [];
  for (const h of holds) {
    try {
      out.push({ status: (await ledger.hold(m, { id: h.id, userId, amount: h.amount })).status });
    } catch (err) {
      if (err instanceof InsufficientCredits) {
        out.push({ status: "insufficient", required: err.required, available: err.available, creditType: err.creditType });
      } else if (err instanceof LedgerConflict) {
        out.push({ status: "conflict" });
      } else {
        throw err;
      }
    }
  }
  return out;
}

/** Everything a hold can change for one account: balances, its transfer and pending rows. */
async function accountState(userId: string, accountId: string): Promise<unknown> {
  const transfers: unknown[] = await m.query(
    `SELECT id, kind, type, amount::int AS amount, pending_id FROM ledger_transfers
      WHERE debit_account_id = $1 OR credit_account_id = $1 ORDER BY id`,
    [accountId],
  );
  const pending: unknown[] = await m.query(
    `SELECT transfer_id, state, amount::int AS amount, posted_amount::int AS posted_amount FROM ledger_pending
      WHERE account_id = $1 ORDER BY transfer_id`,
    [accountId],
  );
  const [sys] = (await m.query(
    `SELECT coalesce(sum(credits_pending), 0)::int AS n FROM ledger_accounts WHERE kind = 'system' AND system_code = 'consumption'`,
  )) as [{ n: number }];
  return { balances: await ledger.balances(m, userId), transfers, pending, systemPending: sys.n };
}

async function pendingHolds(accountId: string): Promise<{ id: string; amount: number }[]> {
  const rows: { id: string; amount: number }[] = await m.query(
    `SELECT t.id, t.amount::int AS amount FROM ledger_transfers t JOIN ledger_pending p ON p.transfer_id = t.id
      WHERE t.debit_account_id = $1 AND t.kind = 'pending' AND p.state = 'pending' ORDER BY t.id`,
    [accountId],
  );
  return rows;
}

const sortById = <T extends { id: string }>(xs: T[]): T[] => [...xs].sort((a, b) => a.id.localeCompare(b.id));

describe("holdEach: each hold admitted or refused on its own, in order", () => {
  it("balance 10, holds [4, 7, 5, 1]: created, insufficient (6 left), created, created — held 10, available 0", async () => {
    const { userId, accountId } = await funded(10);
    const hs = ids(4).map((id, i) => ({ id, amount: [4, 7, 5, 1][i]! }));
    const out = await holdEach(accountId, hs);

    expect(out.map((o) => o.id)).toEqual(hs.map((h) => h.id));
    expect(out.map(summary)).toEqual([
      { status: "created" },
      { status: "insufficient", required: 7, available: 6, creditType: CT },
      { status: "created" },
      { status: "created" },
    ]);
    const refused = out[1]!;
    expect(refused.status === "insufficient" && refused.error).toMatchObject({ code: "insufficient_credits", required: 7, available: 6 });

    expect(await ledger.balances(m, userId)).toMatchObject({ available: 0, held: 10, posted: 10 });
    // One pending transfer (with its pending row) per admitted hold, none for the refused one.
    expect(await pendingHolds(accountId)).toEqual(sortById([hs[0]!, hs[2]!, hs[3]!]));
    const [refusedRows] = (await m.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE id = $1`, [hs[1]!.id])) as [{ n: number }];
    expect(refusedRows.n).toBe(0);
  });

  it("each refusal reports what was left at its point: balance 10, [3, 8, 9, 2, 6, 5]", async () => {
    const { userId, accountId } = await funded(10);
    const amounts = [3, 8, 9, 2, 6, 5];
    const hs = ids(amounts.length).map((id, i) => ({ id, amount: amounts[i]! }));
    const out = await holdEach(accountId, hs);
    expect(out.map(summary)).toEqual([
      { status: "created" },
      { status: "insufficient", required: 8, available: 7, creditType: CT },
      { status: "insufficient", required: 9, available: 7, creditType: CT },
      { status: "created" },
      { status: "insufficient", required: 6, available: 5, creditType: CT },
      { status: "created" },
    ]);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 0, held: 10, posted: 10 });
  });

  it("holds that fit exactly, and an account that cannot take any: all created / all refused with the balance", async () => {
    const a = await funded(12);
    const all = ids(3).map((id) => ({ id, amount: 4 }));
    expect((await holdEach(a.accountId, all)).map((o) => o.status)).toEqual(["created", "created", "created"]);
    expect(await ledger.balances(m, a.userId)).toMatchObject({ available: 0, held: 12, posted: 12 });

    const b = await funded(3);
    const before = await accountState(b.userId, b.accountId);
    const none = await holdEach(b.accountId, ids(2).map((id, i) => ({ id, amount: [5, 4][i]! })));
    expect(none.map(summary)).toEqual([
      { status: "insufficient", required: 5, available: 3, creditType: CT },
      { status: "insufficient", required: 4, available: 3, creditType: CT },
    ]);
    expect(await accountState(b.userId, b.accountId)).toEqual(before);

    const empty = await funded(0);
    const zero = await holdEach(empty.accountId, [{ id: randomUUID(), amount: 1 }]);
    expect(zero.map(summary)).toEqual([{ status: "insufficient", required: 1, available: 0, creditType: CT }]);
  });

  it("records each hold's job id, expiry and description on its own rows", async () => {
    const { accountId } = await funded(10);
    const [h1, h2] = ids(2);
    const job = randomUUID();
    const expiresAt = new Date("2031-02-03T04:05:06.000Z");
    await ledger.holdEach(m, {
      accountId, creditType: CT,
      holds: [{ id: h1!, amount: 2, jobId: job, expiresAt, description: "first" }, { id: h2!, amount: 3 }],
    });
    const rows: { id: string; job_id: string | null; description: string | null; expires_at: Date | null; amount: string }[] = await m.query(
      `SELECT t.id, t.job_id, t.description, p.expires_at, p.amount FROM ledger_transfers t JOIN ledger_pending p ON p.transfer_id = t.id
        WHERE t.id = ANY ($1::uuid[])`,
      [[h1, h2]],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(h1!)).toMatchObject({ job_id: job, description: "first", expires_at: expiresAt, amount: "2" });
    expect(byId.get(h2!)).toMatchObject({ job_id: null, description: null, expires_at: null, amount: "3" });
  });

  it("an account that does not exist (or is a system account) raises LedgerError and writes nothing", async () => {
    const id = randomUUID();
    await expect(holdEach(randomUUID(), [{ id, amount: 1 }])).rejects.toMatchObject({ name: "LedgerError", status: "account_not_found" });
    const [sys] = (await m.query(`SELECT id FROM ledger_accounts WHERE kind = 'system' LIMIT 1`)) as [{ id: string }];
    await expect(holdEach(sys.id, [{ id, amount: 1 }])).rejects.toMatchObject({ name: "LedgerError", status: "account_not_found" });
    const [n] = (await m.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE id = $1`, [id])) as [{ n: number }];
    expect(n.n).toBe(0);
  });
});

describe("holdEach gives what the same holds sent one by one get", () => {
  it("balance 10, [4, 7, 5, 1] against four `hold` calls on a second account", async () => {
    const a = await funded(10);
    const b = await funded(10);
    const amounts = [4, 7, 5, 1];
    const batch = await holdEach(a.accountId, ids(4).map((id, i) => ({ id, amount: amounts[i]! })));
    const single = await oneByOne(b.userId, ids(4).map((id, i) => ({ id, amount: amounts[i]! })));
    expect(batch.map(summary)).toEqual(single);
    expect(await ledger.balances(m, a.userId)).toEqual(await ledger.balances(m, b.userId));
  });

  it("30 seeded random batches, then a second round mixing replays, conflicting reuses and new holds", async () => {
    const next = rng(20251117);
    const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
    for (let round = 0; round < 30; round++) {
      const balance = int(0, 40);
      const a = await funded(balance);
      const b = await funded(balance);
      const n = int(1, 15);
      const amounts = Array.from({ length: n }, () => int(1, 12));
      const idsA = ids(n);
      const idsB = ids(n);
      const first = await holdEach(a.accountId, idsA.map((id, i) => ({ id, amount: amounts[i]! })));
      const firstSingle = await oneByOne(b.userId, idsB.map((id, i) => ({ id, amount: amounts[i]! })));
      expect(first.map(summary), `round ${round}: balance ${balance}, ${JSON.stringify(amounts)}`).toEqual(firstSingle);
      expect(await ledger.balances(m, a.userId), `round ${round}`).toEqual(await ledger.balances(m, b.userId));

      // Free some credits (void a few of A's and the same of B's holds), then a mixed second batch.
      for (let i = 0; i < n; i++) {
        if (first[i]!.status === "created" && next() < 0.3) {
          await ledger.voidHold(m, { id: randomUUID(), pendingId: idsA[i]! });
          await ledger.voidHold(m, { id: randomUUID(), pendingId: idsB[i]! });
        }
      }
      const k = int(1, 12);
      const plan = Array.from({ length: k }, () => {
        const r = next();
        const i = int(0, n - 1);
        if (r < 0.35) return { old: i, amount: amounts[i]! }; // replay, same amount
        if (r < 0.5) return { old: i, amount: amounts[i]! + int(1, 3) }; // reuse with another amount
        return { old: -1, amount: int(1, 12) }; // a new hold
      });
      // One id at most once per batch.
      const seen = new Set<number>();
      const distinct = plan.filter((p) => p.old < 0 || (!seen.has(p.old) && seen.add(p.old)));
      const mapIds = (old: string[]) => distinct.map((p) => ({ id: p.old < 0 ? randomUUID() : old[p.old]!, amount: p.amount }));
      const second = await holdEach(a.accountId, mapIds(idsA));
      const secondSingle = await oneByOne(b.userId, mapIds(idsB));
      expect(second.map(summary), `round ${round}, second batch ${JSON.stringify(distinct)}`).toEqual(secondSingle);
      expect(await ledger.balances(m, a.userId), `round ${round}`).toEqual(await ledger.balances(m, b.userId));
    }
    expect((await ledger.checkLedger(m)).problems).toEqual([]);
  });
});

describe("holdEach replays and reused ids", () => {
  it("the same ids and amounts again: `exists` for each admitted one, nothing more held; a refused one is judged afresh", async () => {
    const { userId, accountId } = await funded(10);
    const hs = ids(4).map((id, i) => ({ id, amount: [4, 7, 5, 1][i]! }));
    await holdEach(accountId, hs);
    const before = await accountState(userId, accountId);

    const again = await holdEach(accountId, hs);
    // The refused hold has no transfer: it is admitted or refused again like a new one (0 left now).
    expect(again.map(summary)).toEqual([
      { status: "exists" },
      { status: "insufficient", required: 7, available: 0, creditType: CT },
      { status: "exists" },
      { status: "exists" },
    ]);
    expect(await accountState(userId, accountId)).toEqual(before);

    // Only the admitted ones, in another order: still `exists`, still nothing moves.
    const admitted = [hs[3]!, hs[0]!, hs[2]!];
    expect((await holdEach(accountId, admitted)).map((o) => [o.id, o.status])).toEqual(admitted.map((h) => [h.id, "exists"]));
    expect(await accountState(userId, accountId)).toEqual(before);
  });

  it("a replay is `exists` even with credits free again, and after the hold was posted or voided", async () => {
    const { userId, accountId } = await funded(20);
    const hs = ids(3).map((id) => ({ id, amount: 5 }));
    await holdEach(accountId, hs);
    await ledger.post(m, { id: randomUUID(), pendingId: hs[0]!.id, amount: 2 });
    await ledger.voidHold(m, { id: randomUUID(), pendingId: hs[1]!.id });
    const before = await accountState(userId, accountId);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 13, held: 5, posted: 18 });
    expect((await holdEach(accountId, hs)).map((o) => o.status)).toEqual(["exists", "exists", "exists"]);
    expect(await accountState(userId, accountId)).toEqual(before);
  });

  it("the same id with another amount is `conflict` (LedgerConflict) and changes nothing; the rest of the batch is judged on its own", async () => {
    const { userId, accountId } = await funded(10);
    const [h1, h2] = ids(2);
    await holdEach(accountId, [{ id: h1!, amount: 4 }, { id: h2!, amount: 3 }]);
    const before = await accountState(userId, accountId);

    const out = await holdEach(accountId, [{ id: h1!, amount: 5 }, { id: h2!, amount: 2 }]);
    expect(out.map(summary)).toEqual([{ status: "conflict" }, { status: "conflict" }]);
    const c = out[0]!;
    expect(c.status === "conflict" && c.error).toMatchObject({ code: "idempotency_conflict", details: { transfer_id: h1 } });
    expect(await accountState(userId, accountId)).toEqual(before);

    // A conflict in the middle does not use up credits: the holds around it are admitted.
    const [n1, n2] = ids(2);
    const mixed = await holdEach(accountId, [{ id: n1!, amount: 2 }, { id: h1!, amount: 3 }, { id: n2!, amount: 1 }]);
    expect(mixed.map(summary)).toEqual([{ status: "created" }, { status: "conflict" }, { status: "created" }]);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 0, held: 10, posted: 10 });
  });

  it("an id used by a grant, or by a hold on another account, is `conflict`", async () => {
    const a = await funded(10);
    const b = await funded(10);
    const grantId = randomUUID();
    await ledger.grant(m, { id: grantId, userId: a.userId, amount: 5, category: "promotional" });
    const otherHold = randomUUID();
    await ledger.hold(m, { id: otherHold, userId: b.userId, amount: 3 });
    const before = await accountState(a.userId, a.accountId);
    const out = await holdEach(a.accountId, [{ id: grantId, amount: 5 }, { id: otherHold, amount: 3 }]);
    expect(out.map((o) => o.status)).toEqual(["conflict", "conflict"]);
    expect(await accountState(a.userId, a.accountId)).toEqual(before);
    expect(await ledger.balances(m, b.userId)).toMatchObject({ available: 7, held: 3 });
  });

  it("holdEach and hold recognise each other's holds: `exists` both ways", async () => {
    const { userId, accountId } = await funded(10);
    const viaHold = randomUUID();
    await ledger.hold(m, { id: viaHold, userId, amount: 3 });
    const viaEach = randomUUID();
    await holdEach(accountId, [{ id: viaEach, amount: 4 }]);
    const before = await accountState(userId, accountId);
    expect((await holdEach(accountId, [{ id: viaHold, amount: 3 }])).map((o) => o.status)).toEqual(["exists"]);
    expect((await ledger.hold(m, { id: viaEach, userId, amount: 4 })).status).toBe("exists");
    await expect(ledger.hold(m, { id: viaEach, userId, amount: 5 })).rejects.toBeInstanceOf(LedgerConflict);
    expect(await accountState(userId, accountId)).toEqual(before);
  });
});

describe(`${BATCHES} concurrent batches of ${PER_BATCH} holds of 1 credit against a balance of ${BALANCE}, each on its own connection`, () => {
  function checkBatchRace(results: PromiseSettledResult<ledger.HoldOutcome[]>[]): void {
    const batches = results.map((r) => {
      if (r.status === "rejected") throw r.reason;
      return r.value;
    });
    const all = batches.flat();
    expect(all).toHaveLength(BATCHES * PER_BATCH);
    expect(all.filter((o) => o.status === "created")).toHaveLength(BALANCE);
    const refused = all.filter((o) => o.status !== "created");
    expect(refused).toHaveLength(BATCHES * PER_BATCH - BALANCE);
    for (const o of refused) expect(summary(o)).toEqual({ status: "insufficient", required: 1, available: 0, creditType: CT });
    // Batches do not interleave: with PER_BATCH dividing BALANCE, each one is all in or all out.
    const full = batches.filter((b) => b.every((o) => o.status === "created"));
    const empty = batches.filter((b) => b.every((o) => o.status === "insufficient"));
    expect(full).toHaveLength(BALANCE / PER_BATCH);
    expect(empty).toHaveLength(BATCHES - BALANCE / PER_BATCH);
  }

  async function checkAccount(userId: string, accountId: string, createdIds: string[]): Promise<void> {
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 0, held: BALANCE, posted: BALANCE });
    expect((await pendingHolds(accountId)).map((h) => h.id)).toEqual([...createdIds].sort());
    const [neg] = (await m.query(
      `SELECT count(*)::int AS n FROM ledger_accounts WHERE kind = 'user' AND credits_posted - debits_posted - debits_pending < 0`,
    )) as [{ n: number }];
    expect(neg.n).toBe(0);
    expect((await ledger.checkLedger(m)).problems).toEqual([]);
  }

  const createdIds = (rs: PromiseSettledResult<ledger.HoldOutcome[]>[]) =>
    rs.flatMap((r) => (r.status === "fulfilled" ? r.value : [])).filter((o) => o.status === "created").map((o) => o.id);

  it("behind a lock barrier: exactly 50 created, 150 refused with required 1 / available 0", async () => {
    const { userId, accountId } = await funded(BALANCE);
    const results = await behindLock(db.ds, `SELECT 1 FROM ledger_accounts WHERE id = $1 FOR NO KEY UPDATE`, [accountId],
      conns.map((c) => () => holdEach(accountId, ids(PER_BATCH).map((id) => ({ id, amount: 1 })), c.manager)));
    checkBatchRace(results);
    await checkAccount(userId, accountId, createdIds(results));
  });

  it("free-running: the same outcome", async () => {
    const { userId, accountId } = await funded(BALANCE);
    const results = await Promise.allSettled(
      conns.map((c) => holdEach(accountId, ids(PER_BATCH).map((id) => ({ id, amount: 1 })), c.manager)));
    checkBatchRace(results);
    await checkAccount(userId, accountId, createdIds(results));
  });

  it("batches racing single `hold` calls on the same account: no overdraft, every credit held once", async () => {
    const { userId, accountId } = await funded(BALANCE);
    const half = BATCHES / 2;
    const calls: (() => Promise<string[]>)[] = conns.map((c, i) => i < half
      ? async () => (await holdEach(accountId, ids(PER_BATCH).map((id) => ({ id, amount: 1 })), c.manager))
        .filter((o) => o.status === "created").map((o) => o.id)
      : async () => {
        const created: string[] = [];
        for (const id of ids(PER_BATCH)) {
          try {
            await ledger.hold(c.manager, { id, accountId, creditType: CT, amount: 1 });
            created.push(id);
          } catch (err) {
            if (!(err instanceof InsufficientCredits)) throw err;
          }
        }
        return created;
      });
    const results = await Promise.allSettled(calls.map((f) => f()));
    const created = results.flatMap((r) => {
      if (r.status === "rejected") throw r.reason;
      return r.value;
    });
    expect(created).toHaveLength(BALANCE);
    await checkAccount(userId, accountId, created);
  });
});

describe("holdEach refuses bad input with SQLSTATE 22023 (or the wrapper's RangeError) and changes nothing", () => {
  function direct(holdIds: unknown, accountId: string, amounts: unknown, n = Array.isArray(holdIds) ? holdIds.length : 0) {
    return m.query(HOLD_EACH_SQL, [holdIds, accountId, amounts, Array(n).fill(null), Array(n).fill(null), Array(n).fill(null)]);
  }

  it("empty batch", async () => {
    const { userId, accountId } = await funded(10);
    const before = await accountState(userId, accountId);
    expect(await failure(holdEach(accountId, []))).toBe(INVALID_PARAMETER);
    expect(await failure(direct([], accountId, []))).toBe(INVALID_PARAMETER);
    expect(await failure(m.query(HOLD_EACH_SQL, [null, accountId, null, null, null, null]))).toBe(INVALID_PARAMETER);
    expect(await accountState(userId, accountId)).toEqual(before);
  });

  it("arrays of different lengths", async () => {
    const { userId, accountId } = await funded(10);
    const before = await accountState(userId, accountId);
    const [a, b] = ids(2);
    expect(await failure(direct([a, b], accountId, [1]))).toBe(INVALID_PARAMETER);
    expect(await failure(m.query(HOLD_EACH_SQL, [[a, b], accountId, [1, 1], [null], [null, null], [null, null]]))).toBe(INVALID_PARAMETER);
    expect(await failure(m.query(HOLD_EACH_SQL, [[a, b], accountId, [1, 1], [null, null], [null], [null, null]]))).toBe(INVALID_PARAMETER);
    expect(await failure(m.query(HOLD_EACH_SQL, [[a, b], accountId, [1, 1], [null, null], [null, null], [null]]))).toBe(INVALID_PARAMETER);
    expect(await accountState(userId, accountId)).toEqual(before);
  });

  it("the same id twice in one batch (and a null id): nothing admitted, not even the other holds", async () => {
    const { userId, accountId } = await funded(10);
    const before = await accountState(userId, accountId);
    const [dup, other] = ids(2);
    expect(await failure(holdEach(accountId, [{ id: other!, amount: 1 }, { id: dup!, amount: 2 }, { id: dup!, amount: 2 }]))).toBe(INVALID_PARAMETER);
    expect(await failure(holdEach(accountId, [{ id: dup!, amount: 2 }, { id: dup!.toUpperCase(), amount: 2 }]))).toBe(INVALID_PARAMETER);
    expect(await failure(direct([other, null], accountId, [1, 1]))).toBe(INVALID_PARAMETER);
    expect(await accountState(userId, accountId)).toEqual(before);
  });

  it("a zero, negative or null amount: SQLSTATE 22023 from SQL, RangeError from the wrapper", async () => {
    const { userId, accountId } = await funded(10);
    const before = await accountState(userId, accountId);
    const [a, b] = ids(2);
    for (const bad of [0, -1]) {
      expect(await failure(holdEach(accountId, [{ id: a!, amount: 1 }, { id: b!, amount: bad }])), `wrapper, ${bad}`).toBe("RangeError");
      expect(await failure(direct([a, b], accountId, [1, bad])), `SQL, ${bad}`).toBe(INVALID_PARAMETER);
    }
    expect(await failure(holdEach(accountId, [{ id: a!, amount: 1.5 }]))).toBe("RangeError");
    expect(await failure(direct([a, b], accountId, [1, null]))).toBe(INVALID_PARAMETER);
    expect(await accountState(userId, accountId)).toEqual(before);
  });
});

describe("credits held by holdEach settle like any hold", () => {
  it("post part of one, post all of another, void a third; replays and rival resolutions report what happened", async () => {
    const { userId, accountId } = await funded(10);
    const hs = ids(4).map((id, i) => ({ id, amount: [4, 7, 5, 1][i]! }));
    const out = await holdEach(accountId, hs);
    expect(out.map((o) => o.status)).toEqual(["created", "insufficient", "created", "created"]);
    const [h4, h7, h5, h1] = hs.map((h) => h.id) as [string, string, string, string];

    const p1 = randomUUID();
    expect(await ledger.post(m, { id: p1, pendingId: h4, amount: 3 })).toEqual({ status: "created", posted: 3, released: 1 });
    expect(await ledger.post(m, { id: p1, pendingId: h4, amount: 3 })).toEqual({ status: "exists", posted: 3, released: 1 });
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 1, held: 6, posted: 7 });

    expect(await ledger.post(m, { id: randomUUID(), pendingId: h5, amount: 5 })).toEqual({ status: "created", posted: 5, released: 0 });
    expect(await ledger.voidHold(m, { id: randomUUID(), pendingId: h5 })).toMatchObject({ status: "already_posted" });
    // voidHold releases as a `refund` by default; post's remainder is a `release`.
    expect(await ledger.voidHold(m, { id: randomUUID(), pendingId: h1 })).toEqual({ status: "created", posted: 0, released: 1 });
    await expect(ledger.post(m, { id: randomUUID(), pendingId: h7, amount: 1 })).rejects.toMatchObject({ status: "not_found" });

    expect(await ledger.balances(m, userId)).toMatchObject({ available: 2, held: 0, posted: 2 });
    const states: { transfer_id: string; state: string; posted_amount: string }[] = await m.query(
      `SELECT transfer_id, state, posted_amount FROM ledger_pending WHERE account_id = $1`, [accountId],
    );
    expect(sortById(states.map((s) => ({ id: s.transfer_id, state: s.state, posted: Number(s.posted_amount) })))).toEqual(sortById([
      { id: h4, state: "posted", posted: 3 },
      { id: h5, state: "posted", posted: 5 },
      { id: h1, state: "voided", posted: 0 },
    ]));
    const page = await ledger.transactions(m, userId, { limit: 20 });
    expect(page.data.map((t) => t.type).sort()).toEqual(["charge", "charge", "grant", "hold", "hold", "hold", "refund", "release"]);

    // The freed credits can be held again by the next batch.
    const again = await holdEach(accountId, ids(2).map((id) => ({ id, amount: 2 })));
    expect(again.map(summary)).toEqual([{ status: "created" }, { status: "insufficient", required: 2, available: 0, creditType: CT }]);
  });

  it("the reaper can expire a holdEach hold", async () => {
    const { userId, accountId } = await funded(6);
    const id = randomUUID();
    await ledger.holdEach(m, { accountId, creditType: CT, holds: [{ id, amount: 6, expiresAt: new Date(Date.now() - 1000) }] });
    expect(await ledger.expirePending(m, { id: randomUUID(), pendingId: id })).toEqual({ status: "created", posted: 0, released: 6 });
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 6, held: 0, posted: 6 });
  });
});

describe("the books", () => {
  it("checkLedger finds nothing wrong after everything above", async () => {
    const report = await ledger.checkLedger(m);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
