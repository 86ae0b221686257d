/**
 * Races, each call on its own connection. Admission is one conditional UPDATE
 * and resolution one conditional UPDATE on the hold's state, so however the
 * calls interleave: no overdraft, and each hold resolves exactly once.
 *
 * Where it matters the calls go through a lock barrier: a blocker transaction
 * locks the contended row, every call is sent and seen waiting on it in
 * pg_stat_activity, then the blocker commits — so they really overlap inside
 * the database (and the losers take PostgreSQL's re-check-after-wait path).
 */
import { randomUUID } from "node:crypto";
import type { EntityManager, QueryRunner } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InsufficientCredits } from "../../src/errors";
import * as ledger from "../../src/ledger";
import { createTestDb, type TestDb } from "../helpers/db";
import { behindLock } from "../helpers/barrier";
import { backendPids, connectRunners, fundedAccount } from "../helpers/ledger";

const HOLDS = 200;
const BALANCE = 50;
const ROUNDS = 100;

let db: TestDb;
let m: EntityManager;
let conns: QueryRunner[];
beforeAll(async () => {
  db = await createTestDb({ poolSize: HOLDS + 6 });
  m = db.ds.manager;
  conns = await connectRunners(db.ds, HOLDS);
  const pids = await backendPids(conns);
  expect(new Set(pids).size).toBe(HOLDS);
});
afterAll(async () => {
  for (const qr of conns ?? []) await qr.release();
  await db.close();
});

const funded = (amount: number) => fundedAccount(m, amount);


function checkHoldRace(results: PromiseSettledResult<{ status: string }>[]): void {
  const created = results.filter((r) => r.status === "fulfilled" && r.value.status === "created");
  const refused = results.filter((r) => r.status === "rejected");
  expect(created).toHaveLength(BALANCE);
  expect(refused).toHaveLength(HOLDS - BALANCE);
  for (const r of refused) {
    const reason = (r as PromiseRejectedResult).reason as unknown;
    expect(reason).toBeInstanceOf(InsufficientCredits);
    expect(reason).toMatchObject({ required: 1, available: 0, creditType: "standard" });
  }
}

async function accountState(userId: string, accountId: string): Promise<unknown> {
  const [holds] = (await m.query(
    `SELECT count(*)::int AS n FROM ledger_transfers WHERE debit_account_id = $1 AND kind = 'pending'`, [accountId],
  )) as [{ n: number }];
  return { ...(await ledger.balances(m, userId)), holdTransfers: holds.n };
}

describe(`${HOLDS} holds of 1 credit against a balance of ${BALANCE}, each on its own connection`, () => {
  it("behind a lock barrier: exactly 50 succeed, 150 are refused with required 1 / available 0", async () => {
    const { userId, accountId } = await funded(BALANCE);
    const results = await behindLock(db.ds, `SELECT 1 FROM ledger_accounts WHERE id = $1 FOR NO KEY UPDATE`, [accountId],
      conns.map((c) => () => ledger.hold(c.manager, { id: randomUUID(), accountId, amount: 1, creditType: "standard" })));
    checkHoldRace(results);
    expect(await accountState(userId, accountId)).toMatchObject({ available: 0, held: BALANCE, posted: BALANCE, holdTransfers: BALANCE });
    const report = await ledger.checkLedger(m);
    expect(report.problems).toEqual([]);
  });

  it("free-running through `hold` (account lookup included): the same outcome", async () => {
    const { userId, accountId } = await funded(BALANCE);
    const results = await Promise.allSettled(conns.map((c) => ledger.hold(c.manager, { id: randomUUID(), userId, amount: 1 })));
    checkHoldRace(results);
    expect(await accountState(userId, accountId)).toMatchObject({ available: 0, held: BALANCE, posted: BALANCE, holdTransfers: BALANCE });
    const [neg] = (await m.query(
      `SELECT count(*)::int AS n FROM ledger_accounts WHERE kind = 'user' AND credits_posted - debits_posted - debits_pending < 0`,
    )) as [{ n: number }];
    expect(neg.n).toBe(0);
  });
});

type Settle = (c: EntityManager, pendingId: string, amount: number) => Promise<ledger.SettleResult>;
const doPost: Settle = (c, pendingId, amount) => ledger.post(c, { id: randomUUID(), pendingId, amount });
const doVoid: Settle = (c, pendingId) => ledger.voidHold(c, { id: randomUUID(), pendingId });
const doExpire: Settle = (c, pendingId) => ledger.expirePending(c, { id: randomUUID(), pendingId });

/**
 * ROUNDS holds, each attacked by `post` and a rival on two connections; even
 * rounds go through the barrier, odd ones free-running, the order sent alternates.
 * Exactly one side reports `created`, the other `already_<winner's state>`.
 */
async function race(rival: Settle, rivalState: "voided" | "expired" | "posted"): Promise<void> {
  const hold = 20;
  const { userId } = await funded(ROUNDS * hold);
  const [a, b] = [conns[0]!.manager, conns[1]!.manager];
  let posted = 0;
  const wins = { post: 0, rival: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const pendingId = randomUUID();
    await ledger.hold(m, { id: pendingId, userId, amount: hold });
    const postAmount = 1 + (round % hold);
    const rivalAmount = rivalState === "posted" ? 1 + ((round * 7) % hold) : 0;
    const calls = [() => doPost(a, pendingId, postAmount), () => rival(b, pendingId, rivalAmount)];
    if (round % 4 >= 2) calls.reverse();
    const settled = round % 2 === 0
      ? await behindLock(db.ds, `SELECT 1 FROM ledger_pending WHERE transfer_id = $1 FOR UPDATE`, [pendingId], calls)
      : await Promise.allSettled(calls.map((c) => c()));
    const [p, r] = (round % 4 >= 2 ? settled.reverse() : settled).map((s) => {
      if (s.status === "rejected") throw s.reason;
      return s.value;
    }) as [ledger.SettleResult, ledger.SettleResult];

    const [state] = (await m.query(`SELECT state, posted_amount FROM ledger_pending WHERE transfer_id = $1`, [pendingId])) as
      [{ state: string; posted_amount: string }];
    if (p.status === "created") {
      wins.post++;
      expect(r, `round ${round}`).toEqual({ status: "already_posted", posted: postAmount, released: hold - postAmount });
      expect(p).toEqual({ status: "created", posted: postAmount, released: hold - postAmount });
      expect(state).toEqual({ state: "posted", posted_amount: String(postAmount) });
      posted += postAmount;
    } else {
      wins.rival++;
      expect(r.status, `round ${round}`).toBe("created");
      expect(p).toEqual({ status: `already_${rivalState}`, posted: rivalAmount, released: hold - rivalAmount });
      expect(state).toEqual({ state: rivalState, posted_amount: String(rivalAmount) });
      posted += rivalAmount;
    }
    const resolutions: { n: number }[] = await m.query(
      `SELECT count(*)::int AS n FROM ledger_transfers WHERE pending_id = $1 GROUP BY kind`, [pendingId],
    );
    for (const x of resolutions) expect(x.n).toBe(1);
  }
  expect(wins.post + wins.rival).toBe(ROUNDS);
  expect(await ledger.balances(m, userId)).toMatchObject({ available: ROUNDS * hold - posted, held: 0, posted: ROUNDS * hold - posted });
  const report = await ledger.checkLedger(m);
  expect(report.problems).toEqual([]);
}

describe(`resolution races, ${ROUNDS} rounds each`, () => {
  it("post vs void of the same hold: exactly one is created, the other reports already_*", async () => {
    await race(doVoid, "voided");
  });

  it("post vs expirePending: exactly one is created, the other reports already_*", async () => {
    await race(doExpire, "expired");
  });

  it("post vs post with different ids and amounts: exactly one capture", async () => {
    await race(doPost, "posted");
  });
});
