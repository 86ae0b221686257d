/**
 * A database of its own for one test file, cloned from the migrated template
 * (milliseconds, and no test sees another's rows). Dropping it checks the
 * ledger's invariants first: every test file ends with the books balanced.
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import { inject } from "vitest";
import { createDataSource } from "../../src/db/data-source";
import { checkLedger, formatReport } from "../../src/ledger";

export interface TestDb {
  url: string;
  name: string;
  ds: DataSource;
  /** Check the ledger's invariants, then drop the database. Throws if an invariant fails. */
  close(opts?: { skipCheck?: boolean }): Promise<void>;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function createTestDb(opts: { poolSize?: number } = {}): Promise<TestDb> {
  const baseUrl = inject("databaseUrl");
  const name = `hf_test_${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString("hex")}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject("templateDb")}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(baseUrl, name);
  const ds = createDataSource({ url, poolSize: opts.poolSize ?? 10, applicationName: "holdfast-test" });
  await ds.initialize();
  return {
    url,
    name,
    ds,
    async close({ skipCheck = false } = {}) {
      let report: Awaited<ReturnType<typeof checkLedger>> | undefined;
      if (!skipCheck && ds.isInitialized) report = await ds.transaction("REPEATABLE READ", (m) => checkLedger(m));
      if (ds.isInitialized) await ds.destroy();
      const a = new Client({ connectionString: baseUrl });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
      if (report && !report.ok) throw new Error(formatReport(report));
    },
  };
}

/** A Redis key prefix no other test uses (BullMQ `prefix`). */
export function testPrefix(label = "t"): string {
  return `hf_${label}_${randomBytes(5).toString("hex")}`;
}

export function redisUrl(): string {
  return inject("redisUrl");
}
