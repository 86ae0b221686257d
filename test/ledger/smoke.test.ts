import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InsufficientCredits } from "../../src/errors";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { createTestDb, type TestDb } from "../helpers/db";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db.close();
});

describe("ledger basics", () => {
  it("grants, holds, posts part and releases the rest", async () => {
    const m = db.ds.manager;
    const { user } = await createUser(m, { email: "a@example.com" });
    await ledger.grant(m, { id: randomUUID(), userId: user.id, amount: 100, category: "purchase" });
    const holdId = randomUUID();
    await ledger.hold(m, { id: holdId, userId: user.id, amount: 30 });
    expect(await ledger.balances(m, user.id)).toMatchObject({ available: 70, held: 30, posted: 100 });
    const postId = randomUUID();
    const r = await ledger.post(m, { id: postId, pendingId: holdId, amount: 12 });
    expect(r).toEqual({ status: "created", posted: 12, released: 18 });
    expect(await ledger.post(m, { id: postId, pendingId: holdId, amount: 12 })).toMatchObject({ status: "exists" });
    expect(await ledger.voidHold(m, { id: randomUUID(), pendingId: holdId })).toMatchObject({ status: "already_posted" });
    expect(await ledger.balances(m, user.id)).toMatchObject({ available: 88, held: 0, posted: 88 });
    await expect(ledger.hold(m, { id: randomUUID(), userId: user.id, amount: 89 })).rejects.toBeInstanceOf(InsufficientCredits);
    const page = await ledger.transactions(m, user.id, { limit: 10 });
    expect(page.data.map((t) => t.type).sort()).toEqual(["charge", "grant", "hold", "release"]);
    const report = await ledger.checkLedger(m);
    expect(report.problems).toEqual([]);
  });
});
