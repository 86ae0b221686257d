/**
 * A transfer id is the idempotency key: the same call twice — one after the
 * other, or 20 at once on separate connections — makes one transfer row and
 * moves balances once; the same id with different parameters is a
 * LedgerConflict.
 *
 * The concurrent cases use a lock barrier: a blocker transaction locks the
 * row every call must update, all 20 calls are sent and seen waiting in
 * pg_stat_activity, then the blocker commits — so the calls really overlap
 * inside the database instead of merely being sent close together.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager, QueryRunner } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InsufficientCredits, LedgerConflict } from "../../src/errors";
import * as ledger from "../../src/ledger";
import { createTestDb, type TestDb } from "../helpers/db";
import { behindLock } from "../helpers/barrier";
import { connectRunners, fundedAccount } from "../helpers/ledger";

const N = 20;

let db: TestDb;
let m: EntityManager;
let conns: QueryRunner[];
beforeAll(async () => {
  db = await createTestDb({ poolSize: N + 6 });
  m = db.ds.manager;
  conns = await connectRunners(db.ds, N);
});
afterAll(async () => {
  for (const qr of conns ?? []) await qr.release();
  await db.close();
});

const funded = (amount: number) => fundedAccount(m, amount);

async function transferRows(where: string, param: string): Promise<{ kind: string; amount: number }[]> {
  const rows: { kind: string; amount: string }[] = await m.query(
    `SELECT kind, amount FROM ledger_transfers WHERE ${where} = $1 ORDER BY kind`, [param],
  );
  return rows.map((r) => ({ kind: r.kind, amount: Number(r.amount) }));
}


const LOCK_ACCOUNT = `SELECT 1 FROM ledger_accounts WHERE id = $1 FOR NO KEY UPDATE`;
const LOCK_PENDING = `SELECT 1 FROM ledger_pending WHERE transfer_id = $1 FOR UPDATE`;

function statuses<T extends { status: string }>(results: PromiseSettledResult<T>[]): string[] {
  return results.map((r) => (r.status === "fulfilled" ? r.value.status : `rejected: ${String(r.reason)}`)).sort();
}

const oneCreated = ["created", ...Array<string>(N - 1).fill("exists")].sort();

describe("the same transfer twice, one after the other", () => {
  it("grant: one transfer, one lot, credited once", async () => {
    const { userId } = await funded(0);
    const id = randomUUID();
    const input = { id, userId, amount: 40, category: "purchase" as const };
    const first = await ledger.grant(m, input);
    const second = await ledger.grant(m, input);
    expect([first.status, second.status]).toEqual(["created", "exists"]);
    expect(second.lotId).toBe(first.lotId);
    expect(await transferRows("id", id)).toEqual([{ kind: "plain", amount: 40 }]);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 40, held: 0, posted: 40 });
  });

  it("hold: one pending transfer, held once — also after it was posted", async () => {
    const { userId } = await funded(100);
    const id = randomUUID();
    expect((await ledger.hold(m, { id, userId, amount: 30 })).status).toBe("created");
    expect((await ledger.hold(m, { id, userId, amount: 30 })).status).toBe("exists");
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 70, held: 30 });
    await ledger.post(m, { id: randomUUID(), pendingId: id, amount: 30 });
    expect((await ledger.hold(m, { id, userId, amount: 30 })).status).toBe("exists");
    expect(await transferRows("id", id)).toEqual([{ kind: "pending", amount: 30 }]);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 70, held: 0, posted: 70 });
  });

  it("a refused hold leaves no trace, so its retry can succeed once credits arrive", async () => {
    const { userId } = await funded(10);
    const id = randomUUID();
    await expect(ledger.hold(m, { id, userId, amount: 25 })).rejects.toBeInstanceOf(InsufficientCredits);
    expect(await transferRows("id", id)).toEqual([]);
    await ledger.grant(m, { id: randomUUID(), userId, amount: 15, category: "promotional" });
    expect((await ledger.hold(m, { id, userId, amount: 25 })).status).toBe("created");
    expect((await ledger.hold(m, { id, userId, amount: 25 })).status).toBe("exists");
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 0, held: 25 });
  });

  it("post, void and expirePending: resolved once, the retry reports `exists` with the same figures", async () => {
    const { userId } = await funded(100);
    const [h1, h2, h3] = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of [h1, h2, h3]) await ledger.hold(m, { id, userId, amount: 20 });

    const post = { id: randomUUID(), pendingId: h1, amount: 8 };
    expect(await ledger.post(m, post)).toEqual({ status: "created", posted: 8, released: 12 });
    expect(await ledger.post(m, post)).toEqual({ status: "exists", posted: 8, released: 12 });
    expect(await transferRows("pending_id", h1)).toEqual([{ kind: "post", amount: 8 }, { kind: "void", amount: 12 }]);

    const voidIt = { id: randomUUID(), pendingId: h2 };
    expect(await ledger.voidHold(m, voidIt)).toEqual({ status: "created", posted: 0, released: 20 });
    expect(await ledger.voidHold(m, voidIt)).toEqual({ status: "exists", posted: 0, released: 20 });
    expect(await transferRows("pending_id", h2)).toEqual([{ kind: "void", amount: 20 }]);

    const expire = { id: randomUUID(), pendingId: h3 };
    expect(await ledger.expirePending(m, expire)).toEqual({ status: "created", posted: 0, released: 20 });
    expect(await ledger.expirePending(m, expire)).toEqual({ status: "exists", posted: 0, released: 20 });
    expect(await transferRows("pending_id", h3)).toEqual([{ kind: "void", amount: 20 }]);

    expect(await ledger.balances(m, userId)).toMatchObject({ available: 92, held: 0, posted: 92 });
  });

  it("adjust (add and remove) and holdMany", async () => {
    const { userId } = await funded(50);
    const add = { id: randomUUID(), userId, amount: 25, description: "goodwill" };
    const remove = { id: randomUUID(), userId, amount: -30, description: "correction" };
    expect((await ledger.adjust(m, add)).status).toBe("created");
    expect((await ledger.adjust(m, add)).status).toBe("exists");
    expect((await ledger.adjust(m, remove)).status).toBe("created");
    expect((await ledger.adjust(m, remove)).status).toBe("exists");
    expect(await transferRows("id", remove.id)).toEqual([{ kind: "plain", amount: 30 }]);

    const many = { userId, holds: [{ id: randomUUID(), amount: 5 }, { id: randomUUID(), amount: 7 }] };
    expect((await ledger.holdMany(m, many)).status).toBe("created");
    expect((await ledger.holdMany(m, many)).status).toBe("exists");
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 33, held: 12, posted: 45 });
  });
});

describe(`the same transfer ${N} times at once, on ${N} connections`, () => {
  it("hold", async () => {
    const { userId, accountId } = await funded(100);
    const id = randomUUID();
    const results = await behindLock(db.ds, LOCK_ACCOUNT, [accountId],
      conns.map((c) => () => ledger.hold(c.manager, { id, accountId, amount: 30, creditType: "standard" })));
    expect(statuses(results)).toEqual(oneCreated);
    expect(await transferRows("id", id)).toEqual([{ kind: "pending", amount: 30 }]);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 70, held: 30, posted: 100 });
  });

  it("grant", async () => {
    const { userId, accountId } = await funded(5);
    const id = randomUUID();
    const results = await behindLock(db.ds, LOCK_ACCOUNT, [accountId],
      conns.map((c) => () => ledger.grant(c.manager, { id, userId, amount: 60, category: "subscription" })));
    expect(statuses(results)).toEqual(oneCreated);
    const lotIds = new Set(results.map((r) => (r.status === "fulfilled" ? r.value.lotId : null)));
    expect(lotIds.size).toBe(1);
    expect(await transferRows("id", id)).toEqual([{ kind: "plain", amount: 60 }]);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 65, posted: 65 });
  });

  it("post", async () => {
    const { userId } = await funded(100);
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 50 });
    const id = randomUUID();
    const results = await behindLock(db.ds, LOCK_PENDING, [holdId],
      conns.map((c) => () => ledger.post(c.manager, { id, pendingId: holdId, amount: 35 })));
    expect(statuses(results)).toEqual(oneCreated);
    for (const r of results) expect(r).toMatchObject({ value: { posted: 35, released: 15 } });
    expect(await transferRows("pending_id", holdId)).toEqual([{ kind: "post", amount: 35 }, { kind: "void", amount: 15 }]);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 65, held: 0, posted: 65 });
  });

  it("void", async () => {
    const { userId } = await funded(100);
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 50 });
    const id = randomUUID();
    const results = await behindLock(db.ds, LOCK_PENDING, [holdId],
      conns.map((c) => () => ledger.voidHold(c.manager, { id, pendingId: holdId })));
    expect(statuses(results)).toEqual(oneCreated);
    expect(await transferRows("pending_id", holdId)).toEqual([{ kind: "void", amount: 50 }]);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 100, held: 0, posted: 100 });
  });

  it("admin removal", async () => {
    const { userId, accountId } = await funded(100);
    const id = randomUUID();
    const results = await behindLock(db.ds, LOCK_ACCOUNT, [accountId],
      conns.map((c) => () => ledger.adjust(c.manager, { id, userId, amount: -45, description: "chargeback" })));
    expect(statuses(results)).toEqual(oneCreated);
    expect(await transferRows("id", id)).toEqual([{ kind: "plain", amount: 45 }]);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 55, posted: 55 });
  });

  it("one id, two different holds at once: one wins, its twins see `exists`, the others LedgerConflict", async () => {
    const { userId, accountId } = await funded(100);
    const id = randomUUID();
    const results = await behindLock(db.ds, LOCK_ACCOUNT, [accountId],
      conns.map((c, i) => () => ledger.hold(c.manager, { id, accountId, amount: i % 2 === 0 ? 5 : 6, creditType: "standard" })));
    const [row] = await transferRows("id", id);
    expect(row).toBeDefined();
    const winner = row!.amount;
    results.forEach((r, i) => {
      const amount = i % 2 === 0 ? 5 : 6;
      if (amount !== winner) expect(r).toMatchObject({ status: "rejected", reason: expect.any(LedgerConflict) });
      else expect(r.status).toBe("fulfilled");
    });
    expect(results.filter((r) => r.status === "fulfilled" && r.value.status === "created")).toHaveLength(1);
    expect(await ledger.balances(m, userId)).toMatchObject({ available: 100 - winner, held: winner });
  });
});

describe("the same id with different parameters", () => {
  it("raises LedgerConflict for holds, grants and removals, and changes nothing", async () => {
    const { userId } = await funded(100);
    const other = await funded(100);
    const holdId = randomUUID();
    const grantId = randomUUID();
    const removeId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 10 });
    await ledger.grant(m, { id: grantId, userId, amount: 10, category: "promotional" });
    await ledger.adjust(m, { id: removeId, userId, amount: -10, description: "x" });
    const { available, held, posted } = await ledger.balances(m, userId);

    const attempts: [string, () => Promise<unknown>][] = [
      ["hold, other amount", () => ledger.hold(m, { id: holdId, userId, amount: 11 })],
      ["hold, other user", () => ledger.hold(m, { id: holdId, userId: other.userId, amount: 10 })],
      ["hold, other credit type", () => ledger.hold(m, { id: holdId, userId, amount: 10, creditType: "gpu" })],
      ["hold reusing a grant's id", () => ledger.hold(m, { id: grantId, userId, amount: 10 })],
      ["grant, other amount", () => ledger.grant(m, { id: grantId, userId, amount: 11, category: "promotional" })],
      ["grant, other user", () => ledger.grant(m, { id: grantId, userId: other.userId, amount: 10, category: "promotional" })],
      ["grant reusing a hold's id", () => ledger.grant(m, { id: holdId, userId, amount: 10, category: "purchase" })],
      ["removal, other amount", () => ledger.adjust(m, { id: removeId, userId, amount: -9, description: "x" })],
      ["removal reusing a grant's id", () => ledger.adjust(m, { id: grantId, userId, amount: -10, description: "x" })],
      ["addition reusing a removal's id", () => ledger.adjust(m, { id: removeId, userId, amount: 10, description: "x" })],
    ];
    for (const [name, call] of attempts) await expect(call(), name).rejects.toBeInstanceOf(LedgerConflict);
    // ("other credit type" opened an empty gpu account; the standard one is untouched.)
    expect(await ledger.balances(m, userId)).toMatchObject({ available, held, posted });
    expect(await ledger.balances(m, other.userId)).toMatchObject({ available: 100, held: 0 });
    expect(await transferRows("id", holdId)).toEqual([{ kind: "pending", amount: 10 }]);
  });

  /*
   * Reusing an id for a different resolution, another hold, or a batch whose
   * ids or amounts differ is a conflict, never a silent replay.
   */
  it("post with a reused id and a different amount raises LedgerConflict ", async () => {
    const { userId } = await funded(100);
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 30 });
    const id = randomUUID();
    await ledger.post(m, { id, pendingId: holdId, amount: 10 });
    await expect(ledger.post(m, { id, pendingId: holdId, amount: 20 })).rejects.toBeInstanceOf(LedgerConflict);
  });

  it("void with the id of the post that resolved the hold raises LedgerConflict ", async () => {
    const { userId } = await funded(100);
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId, amount: 30 });
    const id = randomUUID();
    await ledger.post(m, { id, pendingId: holdId, amount: 10 });
    await expect(ledger.voidHold(m, { id, pendingId: holdId })).rejects.toBeInstanceOf(LedgerConflict);
  });

  it("a settle id reused for another hold raises LedgerConflict ", async () => {
    const { userId } = await funded(100);
    const [h1, h2] = [randomUUID(), randomUUID()];
    await ledger.hold(m, { id: h1, userId, amount: 10 });
    await ledger.hold(m, { id: h2, userId, amount: 10 });
    const id = randomUUID();
    await ledger.post(m, { id, pendingId: h1, amount: 10 });
    await expect(ledger.post(m, { id, pendingId: h2, amount: 10 })).rejects.toBeInstanceOf(LedgerConflict);
  });

  it("holdMany reusing a grant's id raises LedgerConflict ", async () => {
    const { userId } = await funded(0);
    const grantId = randomUUID();
    await ledger.grant(m, { id: grantId, userId, amount: 50, category: "purchase" });
    await expect(ledger.holdMany(m, { userId, holds: [{ id: grantId, amount: 5 }] })).rejects.toBeInstanceOf(LedgerConflict);
  });

  it("holdMany with the same ids and other amounts raises LedgerConflict ", async () => {
    const { userId } = await funded(100);
    const ids = [randomUUID(), randomUUID()];
    await ledger.holdMany(m, { userId, holds: ids.map((id) => ({ id, amount: 5 })) });
    await expect(ledger.holdMany(m, { userId, holds: ids.map((id) => ({ id, amount: 7 })) })).rejects.toBeInstanceOf(LedgerConflict);
  });
});
