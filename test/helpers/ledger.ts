/** Ledger fixtures shared by the ledger tests. */
import { randomUUID } from "node:crypto";
import type { DataSource, EntityManager, QueryRunner } from "typeorm";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";

/** A new user whose account holds `amount` credits as one purchase lot (0: the account, empty, without a grant). */
export async function fundedAccount(m: EntityManager, amount: number): Promise<{ userId: string; accountId: string }> {
  const { user } = await createUser(m, { email: `funded-${randomUUID()}@example.com` });
  if (amount === 0) return { userId: user.id, accountId: await ledger.userAccountId(m, user.id) };
  const g = await ledger.grant(m, { id: randomUUID(), userId: user.id, amount, category: "purchase" });
  return { userId: user.id, accountId: g.accountId };
}

/** `n` query runners, each holding a connection of its own (a backend of its own) until released. */
export function connectRunners(ds: DataSource, n: number): Promise<QueryRunner[]> {
  return Promise.all(Array.from({ length: n }, async () => {
    const qr = ds.createQueryRunner();
    await qr.connect();
    return qr;
  }));
}

/** The backend pid behind each runner. */
export function backendPids(runners: QueryRunner[]): Promise<number[]> {
  return Promise.all(runners.map(async (c) => ((await c.query(`SELECT pg_backend_pid() AS pid`)) as [{ pid: number }])[0].pid));
}
