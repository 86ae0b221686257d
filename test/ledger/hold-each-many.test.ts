/**
 * ledger_hold_each_many: holds on several accounts in one call, each admitted
 * or refused on its own, in the order given, against what its own account
 * has available — exactly what the same holds sent one by one through `hold`
 * would get. Unknown accounts are refused item by item; bad input is
 * SQLSTATE 22023 and changes nothing.
 *
 * Then the races: many calls at once, each on its own connection, over
 * overlapping sets of accounts, while other connections settle holds of the
 * same accounts: no deadlock, and every account admits exactly what it has.
 * db.close() runs the ledger invariant checker.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager, QueryRunner } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InsufficientCredits, LedgerConflict } from "../../src/errors";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { waitForLockWaiters } from "../helpers/barrier";
import { createTestDb, type TestDb } from "../helpers/db";
import { failure, rng, shuffle } from "../helpers/util";
import { backendPids, connectRunners } from "../helpers/ledger";

const CT = "standard";
const INVALID_PARAMETER = "22023";
/** The raw call, for input only SQL can send (NULL arrays, arrays of different lengths, NULL elements). */
const HOLD_EACH_MANY_SQL =
  `SELECT id, status, available::int AS available
     FROM ledger_hold_each_many($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[], $5::uuid[], $6::text[])`;

const CALLS = 20;
const SETTLERS = 4;

let db: TestDb;
let m: EntityManager;
let conns: QueryRunner[];
beforeAll(async () => {
  db = await createTestDb({ poolSize: CALLS + SETTLERS + 8 });
  m = db.ds.manager;
  conns = await connectRunners(db.ds, CALLS + SETTLERS);
  const pids = await backendPids(conns);
  expect(new Set(pids).size).toBe(conns.length);
});
afterAll(async () => {
  for (const qr of conns ?? []) await qr.release();
  await db.close();
});

interface Funded { userId: string; accountId: string }

async function funded(amount: number, creditType = CT): Promise<Funded> {
  const { user } = await createUser(m, { email: `hem-${randomUUID()}@example.com` });
  if (amount === 0) return { userId: user.id, accountId: await ledger.userAccountId(m, user.id, creditType) };
  const g = await ledger.grant(m, { id: randomUUID(), userId: user.id, amount, category: "purchase", creditType });
  return { userId: user.id, accountId: g.accountId };
}

type Hold = ledger.HoldEachManyItem;

interface Row { id: string; status: string; available: number | null }

function holdEachMany(holds: Hold[], c: EntityManager = m): Promise<Row[]> {
  return ledger.holdEachMany(c, holds);
}

/** An outcome in the one shape both ways produce. */
type Summary = { status: string; available?: number };
const summary = (r: Row): Summary => (r.status === "insufficient" ? { status: r.status, available: r.available! } : { status: r.status });

/** The same holds sent one by one through `hold` (on `users`, the twins of the batch's accounts). */
async function oneByOne(holds: Hold[], userOf: Map<string, string>): Promise<Summary[]> {
  const out: Summary[] = [];
  for (const h of holds) {
    try {
      out.push({ status: (await ledger.hold(m, { id: h.id, userId: userOf.get(h.accountId)!, amount: h.amount })).status });
    } catch (err) {
      if (err instanceof InsufficientCredits) {
        expect(err.required).toBe(h.amount);
        out.push({ status: "insufficient", available: err.available });
      } else if (err instanceof LedgerConflict) out.push({ status: "conflict" });
      else throw err;
    }
  }
  return out;
}

/** Everything a hold changes on one account: balances and its pending holds (amounts in id order of position). */
async function accountState(f: Funded): Promise<unknown> {
  const pending: { amount: number; state: string }[] = await m.query(
    `SELECT p.amount::int AS amount, p.state FROM ledger_pending p WHERE p.account_id = $1 ORDER BY p.amount, p.state`, [f.accountId],
  );
  const [t] = (await m.query(
    `SELECT count(*)::int AS n FROM ledger_transfers WHERE debit_account_id = $1 AND kind = 'pending'`, [f.accountId],
  )) as [{ n: number }];
  return { balances: await ledger.balances(m, f.userId), pending, holdTransfers: t.n };
}

describe("holds on several accounts in one call, each judged in order against its own account", () => {
  it("three accounts interleaved: each account admits in order, each refusal reports what its own account had left", async () => {
    const a = await funded(10);
    const b = await funded(5);
    const c = await funded(7);
    // a: 4 ✓ (6) 7 ✗6 5 ✓ (1) 1 ✓ (0) · b: 6 ✗5 3 ✓ (2) 3 ✗2 2 ✓ (0) · c: 7 ✓ (0) 1 ✗0
    const plan: [Funded, number][] = [
      [a, 4], [b, 6], [c, 7], [a, 7], [b, 3], [c, 1], [a, 5], [b, 3], [a, 1], [b, 2],
    ];
    const holds = plan.map(([f, amount]) => ({ id: randomUUID(), accountId: f.accountId, amount }));
    const rows = await holdEachMany(holds);
    expect(rows.map((r) => r.id)).toEqual(holds.map((h) => h.id));
    expect(rows.map(summary)).toEqual([
      { status: "created" },
      { status: "insufficient", available: 5 },
      { status: "created" },
      { status: "insufficient", available: 6 },
      { status: "created" },
      { status: "insufficient", available: 0 },
      { status: "created" },
      { status: "insufficient", available: 2 },
      { status: "created" },
      { status: "created" },
    ]);
    expect(await ledger.balances(m, a.userId)).toMatchObject({ available: 0, held: 10, posted: 10 });
    expect(await ledger.balances(m, b.userId)).toMatchObject({ available: 0, held: 5, posted: 5 });
    expect(await ledger.balances(m, c.userId)).toMatchObject({ available: 0, held: 7, posted: 7 });
    // A pending transfer and pending row per admitted hold, on its own account; none for the refused ones.
    const rowsDb: { id: string; debit: string; amount: number; pending_account: string | null }[] = await m.query(
      `SELECT t.id, t.debit_account_id AS debit, t.amount::int AS amount, p.account_id AS pending_account
         FROM ledger_transfers t LEFT JOIN ledger_pending p ON p.transfer_id = t.id WHERE t.id = ANY ($1::uuid[])`,
      [holds.map((h) => h.id)],
    );
    const admitted = holds.filter((_, i) => rows[i]!.status === "created");
    expect(rowsDb.map((r) => [r.id, r.debit, r.amount, r.pending_account]).sort())
      .toEqual(admitted.map((h) => [h.id, h.accountId, h.amount, h.accountId]).sort());
    // Each account's system side: the connection's consumption stripe took exactly the admitted total.
    const [sys] = (await m.query(
      `SELECT coalesce(sum(t.amount), 0)::int AS n FROM ledger_transfers t JOIN ledger_accounts s ON s.id = t.credit_account_id
        WHERE t.id = ANY ($1::uuid[]) AND s.kind = 'system' AND s.system_code = 'consumption'`,
      [holds.map((h) => h.id)],
    )) as [{ n: number }];
    expect(sys.n).toBe(22);
  });

  it("the same plan one by one through `hold` on twin accounts gives the same outcomes and balances (seeded random plans)", async () => {
    const next = rng(31337);
    const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
    for (let round = 0; round < 15; round++) {
      const k = int(2, 5);
      const balances = Array.from({ length: k }, () => int(0, 25));
      const as: Funded[] = [];
      const bs: Funded[] = [];
      for (const bal of balances) {
        as.push(await funded(bal));
        bs.push(await funded(bal));
      }
      const n = int(1, 20);
      const plan = Array.from({ length: n }, () => ({ acc: int(0, k - 1), amount: int(1, 9) }));
      const batch = await holdEachMany(plan.map((p) => ({ id: randomUUID(), accountId: as[p.acc]!.accountId, amount: p.amount })));
      const userOf = new Map(bs.map((f) => [f.accountId, f.userId]));
      const single = await oneByOne(plan.map((p) => ({ id: randomUUID(), accountId: bs[p.acc]!.accountId, amount: p.amount })), userOf);
      expect(batch.map(summary), `round ${round}: balances ${JSON.stringify(balances)}, plan ${JSON.stringify(plan)}`).toEqual(single);
      for (let i = 0; i < k; i++) expect(await accountState(as[i]!), `round ${round}, account ${i}`).toEqual(await accountState(bs[i]!));
    }
  });

  it("an unknown account (or a system account) is `account_not_found` for just its items; the others are held", async () => {
    const a = await funded(5);
    const b = await funded(3);
    const [sys] = (await m.query(`SELECT id FROM ledger_accounts WHERE kind = 'system' LIMIT 1`)) as [{ id: string }];
    const ghost = randomUUID();
    const holds = [
      { id: randomUUID(), accountId: a.accountId, amount: 2 },
      { id: randomUUID(), accountId: ghost, amount: 1 },
      { id: randomUUID(), accountId: b.accountId, amount: 3 },
      { id: randomUUID(), accountId: sys.id, amount: 1 },
      { id: randomUUID(), accountId: ghost, amount: 1 },
      { id: randomUUID(), accountId: a.accountId, amount: 4 },
      { id: randomUUID(), accountId: a.accountId, amount: 3 },
    ];
    const rows = await holdEachMany(holds);
    expect(rows.map((r) => [r.id, r.status])).toEqual(holds.map((h, i) => [h.id,
      ["created", "account_not_found", "created", "account_not_found", "account_not_found", "insufficient", "created"][i]]));
    expect(rows[5]!.available).toBe(3);
    expect(await ledger.balances(m, a.userId)).toMatchObject({ available: 0, held: 5 });
    expect(await ledger.balances(m, b.userId)).toMatchObject({ available: 0, held: 3 });
    const [n] = (await m.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE id = ANY ($1::uuid[])`, [holds.map((h) => h.id)])) as [{ n: number }];
    expect(n.n).toBe(3);
    // A call naming only unknown accounts writes nothing at all.
    const only = [{ id: randomUUID(), accountId: ghost, amount: 1 }, { id: randomUUID(), accountId: randomUUID(), amount: 2 }];
    expect((await holdEachMany(only)).map((r) => r.status)).toEqual(["account_not_found", "account_not_found"]);
  });

  it("accounts of different credit types in one call: each held on its own type's system stripe", async () => {
    const a = await funded(5);
    const g = await funded(4, "gpu");
    const holds = [
      { id: randomUUID(), accountId: g.accountId, amount: 3 },
      { id: randomUUID(), accountId: a.accountId, amount: 5 },
      { id: randomUUID(), accountId: g.accountId, amount: 2 },
    ];
    expect((await holdEachMany(holds)).map(summary)).toEqual([{ status: "created" }, { status: "created" }, { status: "insufficient", available: 1 }]);
    const rows: { id: string; credit_type: string; sys_type: string; sys_code: string }[] = await m.query(
      `SELECT t.id, t.credit_type, s.credit_type AS sys_type, s.system_code AS sys_code
         FROM ledger_transfers t JOIN ledger_accounts s ON s.id = t.credit_account_id WHERE t.id = ANY ($1::uuid[])`,
      [holds.map((h) => h.id)],
    );
    expect(rows.map((r) => [r.id, r.credit_type, r.sys_type, r.sys_code]).sort()).toEqual([
      [holds[0]!.id, "gpu", "gpu", "consumption"], [holds[1]!.id, "standard", "standard", "consumption"],
    ].sort());
    expect(await ledger.balances(m, g.userId, "gpu")).toMatchObject({ available: 1, held: 3 });
  });

  it("records each hold's job id, expiry and description on its own rows", async () => {
    const a = await funded(5);
    const b = await funded(5);
    const job = randomUUID();
    const expiresAt = new Date("2032-01-02T03:04:05.000Z");
    const holds = [
      { id: randomUUID(), accountId: a.accountId, amount: 2, jobId: job, expiresAt, description: "Hold for test job" },
      { id: randomUUID(), accountId: b.accountId, amount: 1 },
    ];
    await holdEachMany(holds);
    const rows: { id: string; job_id: string | null; description: string | null; expires_at: Date | null; account_id: string }[] = await m.query(
      `SELECT t.id, t.job_id, t.description, p.expires_at, p.account_id FROM ledger_transfers t JOIN ledger_pending p ON p.transfer_id = t.id
        WHERE t.id = ANY ($1::uuid[])`,
      [holds.map((h) => h.id)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(holds[0]!.id)).toMatchObject({ job_id: job, description: "Hold for test job", expires_at: expiresAt, account_id: a.accountId });
    expect(byId.get(holds[1]!.id)).toMatchObject({ job_id: null, description: null, expires_at: null, account_id: b.accountId });
  });

  it("replays are `exists` and take nothing; a reused id on another account or amount is `conflict`; a refused hold is judged afresh", async () => {
    const a = await funded(10);
    const b = await funded(10);
    const holds = [
      { id: randomUUID(), accountId: a.accountId, amount: 6 },
      { id: randomUUID(), accountId: b.accountId, amount: 4 },
      { id: randomUUID(), accountId: a.accountId, amount: 5 }, // refused: 4 left
    ];
    expect((await holdEachMany(holds)).map(summary)).toEqual([{ status: "created" }, { status: "created" }, { status: "insufficient", available: 4 }]);
    const before = [await accountState(a), await accountState(b)];
    const again = await holdEachMany([holds[1]!, holds[0]!]);
    expect(again.map((r) => r.status)).toEqual(["exists", "exists"]);
    // b's hold id sent for a; a's hold id with another amount.
    const reuse = await holdEachMany([{ ...holds[1]!, accountId: a.accountId }, { ...holds[0]!, amount: 7 }]);
    expect(reuse.map((r) => r.status)).toEqual(["conflict", "conflict"]);
    expect([await accountState(a), await accountState(b)]).toEqual(before);
    // The refused one again, after b's hold is voided: a still has 4, so 5 is refused again; 4 fits.
    await ledger.voidHold(m, { id: randomUUID(), pendingId: holds[1]!.id });
    const fresh = await holdEachMany([holds[2]!, { id: randomUUID(), accountId: b.accountId, amount: 10 }, { ...holds[2]!, id: randomUUID(), amount: 4 }]);
    expect(fresh.map(summary)).toEqual([{ status: "insufficient", available: 4 }, { status: "created" }, { status: "created" }]);
  });
});

describe("ledger_hold_each_many refuses bad input with SQLSTATE 22023 and changes nothing", () => {
  async function snapshot(fs: Funded[]): Promise<unknown> {
    const [t] = (await m.query(`SELECT count(*)::int AS n FROM ledger_transfers`)) as [{ n: number }];
    return { states: await Promise.all(fs.map(accountState)), transfers: t.n };
  }

  it("empty (or null) arrays: no rows, no error", async () => {
    const a = await funded(3);
    const before = await snapshot([a]);
    expect(await holdEachMany([])).toEqual([]);
    expect(await m.query(HOLD_EACH_MANY_SQL, [null, null, null, null, null, null])).toEqual([]);
    expect(await snapshot([a])).toEqual(before);
  });

  it("arrays of different lengths, whichever is short", async () => {
    const a = await funded(5);
    const b = await funded(5);
    const holds = [{ id: randomUUID(), accountId: a.accountId, amount: 1 }, { id: randomUUID(), accountId: b.accountId, amount: 1 }];
    const cols = [holds.map((h) => h.id), holds.map((h) => h.accountId), holds.map((h) => h.amount), [null, null], [null, null], [null, null]];
    const before = await snapshot([a, b]);
    for (let short = 0; short < cols.length; short++) {
      const params = cols.map((c, i) => (i === short ? c.slice(0, 1) : c));
      expect(await failure(m.query(HOLD_EACH_MANY_SQL, params)), `array ${short} short`).toBe(INVALID_PARAMETER);
    }
    expect(await snapshot([a, b])).toEqual(before);
  });

  it("the same id twice (on the same or different accounts, any case), a null id or a null account: nothing admitted", async () => {
    const a = await funded(5);
    const b = await funded(5);
    const before = await snapshot([a, b]);
    const dup = randomUUID();
    const other = { id: randomUUID(), accountId: b.accountId, amount: 1 };
    expect(await failure(holdEachMany([other, { id: dup, accountId: a.accountId, amount: 1 }, { id: dup, accountId: a.accountId, amount: 1 }])))
      .toBe(INVALID_PARAMETER);
    expect(await failure(holdEachMany([{ id: dup, accountId: a.accountId, amount: 1 }, other, { id: dup.toUpperCase(), accountId: b.accountId, amount: 2 }])))
      .toBe(INVALID_PARAMETER);
    expect(await failure(m.query(HOLD_EACH_MANY_SQL, [[other.id, null], [a.accountId, b.accountId], [1, 1], [null, null], [null, null], [null, null]])))
      .toBe(INVALID_PARAMETER);
    expect(await failure(m.query(HOLD_EACH_MANY_SQL, [[other.id, dup], [a.accountId, null], [1, 1], [null, null], [null, null], [null, null]])))
      .toBe(INVALID_PARAMETER);
    expect(await snapshot([a, b])).toEqual(before);
  });

  it("a zero, negative or null amount", async () => {
    const a = await funded(5);
    const before = await snapshot([a]);
    for (const bad of [0, -2, null]) {
      expect(await failure(m.query(HOLD_EACH_MANY_SQL, [[randomUUID(), randomUUID()], [a.accountId, a.accountId], [1, bad], [null, null], [null, null], [null, null]])), `${bad}`)
        .toBe(INVALID_PARAMETER);
    }
    expect(await snapshot([a])).toEqual(before);
  });

  it("ledger_hold_each, now its one-account case, still refuses an empty batch", async () => {
    const a = await funded(5);
    await expect(ledger.holdEach(m, { accountId: a.accountId, creditType: CT, holds: [] })).rejects.toMatchObject({ code: INVALID_PARAMETER });
  });
});

describe(`${CALLS} concurrent calls over overlapping accounts, racing settlements of the same accounts`, () => {
  const ACCOUNTS = 4;
  const FUNDS = 60;
  const PRE_HELD = 10;
  const AVAILABLE = FUNDS - PRE_HELD;
  const PER_CALL = 12;

  /**
   * Each account is funded 60, of which 10 are already held (10 holds of 1) —
   * 50 available. CALLS calls of PER_CALL holds of 1 credit each, spread
   * over 3 of the 4 accounts, interleaved; meanwhile SETTLERS connections post
   * the pre-existing holds in full (settle_many and single posts), which
   * moves credits from held to posted without freeing any. So each account
   * must admit exactly 50, and every refusal see 0 available.
   */
  async function race(next: () => number, barrier: boolean): Promise<void> {
    const accs: Funded[] = [];
    for (let a = 0; a < ACCOUNTS; a++) accs.push(await funded(FUNDS));
    const pre: string[][] = [];
    for (const f of accs) {
      const hs = Array.from({ length: PRE_HELD }, () => ({ id: randomUUID(), amount: 1 }));
      // Written on the settlers' connections, so the racing calls and the settlements share system stripes too.
      const out = await ledger.holdEach(conns[CALLS + pre.length % SETTLERS]!.manager, { accountId: f.accountId, creditType: CT, holds: hs });
      expect(out.every((o) => o.status === "created")).toBe(true);
      pre.push(hs.map((h) => h.id));
    }
    // Call c leaves out account c mod 4 (so each account is asked for 15 × 4 = 60 credits), the other three in a random order.
    const plans = Array.from({ length: CALLS }, (_, c) => {
      const picked = shuffle([...Array(ACCOUNTS).keys()].filter((a) => a !== c % ACCOUNTS), next);
      return Array.from({ length: PER_CALL }, (_, k) => ({ id: randomUUID(), accountIdx: picked[k % 3]!, accountId: accs[picked[k % 3]!]!.accountId, amount: 1 }));
    });
    const demand = accs.map((_, a) => plans.flat().filter((h) => h.accountIdx === a).length);
    for (const d of demand) expect(d).toBeGreaterThan(AVAILABLE);

    const calls: (() => Promise<unknown>)[] = plans.map((plan, c) => () => holdEachMany(plan, conns[c]!.manager));
    // The settlers: half their holds by ledger_settle_many across all accounts, the rest by single posts, in random orders.
    const all = shuffle(pre.flat(), next);
    const per = Math.ceil(all.length / SETTLERS);
    for (let s = 0; s < SETTLERS; s++) {
      const mine = all.slice(s * per, (s + 1) * per);
      const batch = mine.slice(0, Math.ceil(mine.length / 2));
      const singles = mine.slice(batch.length);
      const c = conns[CALLS + s]!.manager;
      calls.push(async () => {
        const rows = await ledger.settleMany(c, batch.map((pendingId) => ({
          id: randomUUID(), pendingId, amount: 1, releaseType: "release" as const, voidState: "voided" as const, description: null,
        })));
        expect(rows.map((r) => r.status)).toEqual(batch.map(() => "created"));
        for (const p of singles) expect((await ledger.post(c, { id: randomUUID(), pendingId: p, amount: 1 })).status).toBe("created");
      });
    }

    let results: PromiseSettledResult<unknown>[];
    if (barrier) {
      const blocker = db.ds.createQueryRunner();
      await blocker.connect();
      await blocker.startTransaction();
      await blocker.query(`SELECT 1 FROM ledger_accounts WHERE id = ANY ($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [accs.map((a) => a.accountId)]);
      const settled = Promise.allSettled(calls.map((f) => f()));
      await waitForLockWaiters(db.ds, calls.length);
      await blocker.commitTransaction();
      await blocker.release();
      results = await settled;
    } else {
      results = await Promise.allSettled(calls.map((f) => f()));
    }
    const failures = results.filter((r) => r.status === "rejected").map((r) => `${(r.reason as { code?: string }).code ?? ""} ${String(r.reason)}`);
    expect(failures).toEqual([]);

    const rows = results.slice(0, CALLS).flatMap((r, c) => ((r as PromiseFulfilledResult<Row[]>).value).map((row, k) => ({ row, hold: plans[c]![k]! })));
    expect(rows.every(({ row, hold }) => row.id === hold.id)).toBe(true);
    for (let a = 0; a < ACCOUNTS; a++) {
      const mine = rows.filter((x) => x.hold.accountIdx === a);
      const created = mine.filter((x) => x.row.status === "created");
      const refused = mine.filter((x) => x.row.status !== "created");
      expect(created, `account ${a}`).toHaveLength(AVAILABLE);
      expect(refused.map((x) => summary(x.row)), `account ${a}`).toEqual(refused.map(() => ({ status: "insufficient", available: 0 })));
      expect(await ledger.balances(m, accs[a]!.userId)).toMatchObject({ available: 0, held: AVAILABLE, posted: FUNDS - PRE_HELD });
      const [p] = (await m.query(
        `SELECT count(*)::int AS n FROM ledger_pending WHERE account_id = $1 AND state = 'pending'`, [accs[a]!.accountId],
      )) as [{ n: number }];
      expect(p.n).toBe(AVAILABLE);
    }
    // Each call admitted its holds in order per account: once an account refused one, it refused the rest of that call.
    for (let c = 0; c < CALLS; c++) {
      const mine = rows.filter((x) => plans[c]!.some((h) => h.id === x.hold.id));
      for (let a = 0; a < ACCOUNTS; a++) {
        const seq = mine.filter((x) => x.hold.accountIdx === a).map((x) => x.row.status);
        const firstRefused = seq.indexOf("insufficient");
        if (firstRefused >= 0) expect(seq.slice(firstRefused).every((s) => s === "insufficient"), `call ${c}, account ${a}: ${seq}`).toBe(true);
      }
    }
    expect((await ledger.checkLedger(m)).problems).toEqual([]);
  }

  it("behind a lock barrier on all accounts (every call queued before any runs), 3 rounds", async () => {
    const next = rng(2024);
    for (let round = 0; round < 3; round++) await race(next, true);
  });

  it("free-running, 3 rounds", async () => {
    const next = rng(4048);
    for (let round = 0; round < 3; round++) await race(next, false);
  });
});
