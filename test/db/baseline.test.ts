/**
 * The Baseline migration replaces the pre-1.0 chain. A database that chain
 * built must keep working: upgraded by today's migrations it ends with
 * exactly the schema a fresh database gets — and its ledger, rows written
 * before the upgrade included, still balances.
 */
import { randomUUID } from "node:crypto";
import { DataSource } from "typeorm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDataSource } from "../../src/db/data-source";
import { entities, migrations } from "../../src/entities";
import * as ledger from "../../src/ledger";
import { createUser } from "../../src/users/users";
import { oldChain } from "../fixtures/old-migrations";
import { createEmptyDb, type EmptyDb, schemaSnapshot, type SchemaSnapshot } from "../helpers/schema";

const OLD_NAMES = oldChain.map((m) => new m().name);

/** A data source running the given migrations (the old chain, or part of it), as a deployment of that code would. */
function oldChainSource(url: string, list: typeof oldChain): DataSource {
  return new DataSource({ type: "postgres", url, entities, migrations: list, migrationsTableName: "typeorm_migrations", poolSize: 2 });
}

async function migrateWithToday(url: string): Promise<DataSource> {
  const ds = createDataSource({ url, poolSize: 4, applicationName: "holdfast-test" });
  await ds.initialize();
  await ds.runMigrations({ transaction: "each" });
  return ds;
}

const BASELINE = "Baseline1765000000000";

/** Functions whose file a migration after the Baseline changed (their bodies no longer match the old chain's). */
const CHANGED_SINCE_BASELINE: string[] = ["ledger_hold", "ledger_hold_many", "ledger_hold_each_many", "ledger_user_account", "ledger_expire_lot"];

async function appliedMigrations(ds: DataSource): Promise<string[]> {
  return ((await ds.query(`SELECT name FROM typeorm_migrations ORDER BY id`)) as { name: string }[]).map((r) => r.name);
}

/** Grant, hold twice, settle one hold by a post and the other by a void; the books must balance. */
async function roundTrip(ds: DataSource, userId: string, pending?: string): Promise<void> {
  const m = ds.manager;
  await ledger.grant(m, { id: randomUUID(), userId, amount: 100, category: "purchase" });
  const holdId = randomUUID();
  await ledger.hold(m, { id: holdId, userId, amount: 30 });
  expect(await ledger.post(m, { id: randomUUID(), pendingId: holdId, amount: 12 })).toEqual({ status: "created", posted: 12, released: 18 });
  if (pending) expect(await ledger.voidHold(m, { id: randomUUID(), pendingId: pending })).toMatchObject({ status: "created", posted: 0 });
  const report = await ds.transaction("REPEATABLE READ", (t) => ledger.checkLedger(t));
  expect(report.problems).toEqual([]);
}

describe("the Baseline migration", () => {
  let fresh: EmptyDb;
  let baselineOnly: EmptyDb;
  let old: EmptyDb;
  let freshDs: DataSource;
  let oldDs: DataSource;
  let oldUser: string;
  let oldHold: string;
  let beforeUpgrade: SchemaSnapshot;

  beforeAll(async () => {
    [fresh, baselineOnly, old] = await Promise.all([createEmptyDb(), createEmptyDb(), createEmptyDb()]);
    freshDs = await migrateWithToday(fresh.url);
    const first = new DataSource({ type: "postgres", url: baselineOnly.url, entities, migrations: migrations.slice(0, 1), migrationsTableName: "typeorm_migrations", poolSize: 1 });
    await first.initialize();
    await first.runMigrations({ transaction: "each" });
    await first.destroy();

    // The old chain, then a user with credit and an open hold written by it.
    const chain = oldChainSource(old.url, oldChain);
    await chain.initialize();
    await chain.runMigrations({ transaction: "each" });
    const { user } = await createUser(chain.manager, { email: "before-upgrade@example.com" });
    oldUser = user.id;
    await ledger.grant(chain.manager, { id: randomUUID(), userId: oldUser, amount: 50, category: "purchase" });
    oldHold = randomUUID();
    await ledger.hold(chain.manager, { id: oldHold, userId: oldUser, amount: 20 });
    await chain.destroy();
    beforeUpgrade = await schemaSnapshot(old.url);
    oldDs = await migrateWithToday(old.url);
  });

  afterAll(async () => {
    await Promise.all([freshDs, oldDs].map((ds) => (ds?.isInitialized ? ds.destroy() : undefined)));
    await Promise.all([fresh, baselineOnly, old].map((db) => db?.drop()));
  });

  it("comes first, and records itself after the old chain's names, which it leaves alone", async () => {
    expect(new migrations[0]().name).toBe(BASELINE);
    expect((await appliedMigrations(freshDs))[0]).toBe(BASELINE);
    expect((await appliedMigrations(oldDs)).slice(0, OLD_NAMES.length + 1)).toEqual([...OLD_NAMES, BASELINE]);
  });

  it("alone builds the schema the old chain built: tables, columns, domains, constraints, indexes, triggers, seed rows, functions", async () => {
    const a = await schemaSnapshot(baselineOnly.url);
    expect(a.packages).toHaveLength(3);
    expect(a.functions.length).toBeGreaterThan(20);
    // Bodies too: at the squash each file held the old chain's last body, byte for byte (pg_get_functiondef).
    // A later migration that changes a function's file lists it in CHANGED_SINCE_BASELINE.
    const bodies = (s: SchemaSnapshot) =>
      (s.functions as { signature: string; def: string }[]).map((f) =>
        CHANGED_SINCE_BASELINE.includes(f.signature.slice(0, f.signature.indexOf("("))) ? { ...f, def: "(changed since)" } : f);
    expect({ ...a, functions: bodies(a) }).toEqual({ ...beforeUpgrade, functions: bodies(beforeUpgrade) });
  });

  it("leaves an old-chain database migrated today with the same schema and function bodies as a fresh one", async () => {
    const upgraded = await schemaSnapshot(old.url);
    expect(upgraded.functions.length).toBeGreaterThan(20);
    expect(upgraded).toEqual(await schemaSnapshot(fresh.url));
  });

  it("runs a ledger round trip on the fresh database", async () => {
    const { user } = await createUser(freshDs.manager, { email: "fresh@example.com" });
    await roundTrip(freshDs, user.id);
    expect(await ledger.balances(freshDs.manager, user.id)).toMatchObject({ available: 88, held: 0, posted: 88 });
  });

  it("runs a ledger round trip on the upgraded database, settling a hold made before the upgrade", async () => {
    await roundTrip(oldDs, oldUser, oldHold);
    expect(await ledger.balances(oldDs.manager, oldUser)).toMatchObject({ available: 138, held: 0, posted: 138 });
    const { user } = await createUser(oldDs.manager, { email: "after-upgrade@example.com" });
    await roundTrip(oldDs, user.id);
  });

  it("refuses a database the old chain left half-built, changing nothing", async () => {
    const half = await createEmptyDb();
    try {
      const chain = oldChainSource(half.url, oldChain.slice(0, 4));
      await chain.initialize();
      await chain.runMigrations({ transaction: "each" });
      await chain.destroy();
      const before = await schemaSnapshot(half.url);
      const ds = createDataSource({ url: half.url, poolSize: 2 });
      await ds.initialize();
      try {
        await expect(ds.runMigrations({ transaction: "each" })).rejects.toThrow(/never ran CompiledChecks1764000000800/);
        expect(await appliedMigrations(ds)).toEqual(OLD_NAMES.slice(0, 4));
      } finally {
        await ds.destroy();
      }
      expect(await schemaSnapshot(half.url)).toEqual(before);
    } finally {
      await half.drop();
    }
  });
});
