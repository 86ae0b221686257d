/**
 * Once per `vitest run`: bring up the project's own PostgreSQL and Redis
 * (scripts/services.sh, the same script CI and the README use), then build a
 * migrated template database that every test file clones.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { Client } from "pg";
import type { TestProject } from "vitest/node";
import { connectAndMigrate } from "../src/db/data-source";
import { ensureBrowser, ensureDashboardBuilt } from "./helpers/dashboard-build";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
    templateDb: string;
    chromiumPath: string;
  }
}


/**
 * Test databases are named hf_test_<epoch seconds>_<random> and templates
 * hf_tpl_<epoch>_<pid>, so concurrent runs never touch each other's and a
 * run only sweeps leftovers older than an hour (from runs that were killed).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const TEMPLATE_DB = `hf_tpl_${Math.floor(Date.now() / 1000)}_${process.pid}`;
  const root = path.resolve(__dirname, "..");
  const out = execFileSync("bash", [path.join(root, "scripts/services.sh"), "up"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const env = Object.fromEntries(
    out.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
  );
  const databaseUrl = env.DATABASE_URL ?? process.env.DATABASE_URL;
  const redisUrl = env.REDIS_URL ?? process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) throw new Error(`services.sh up printed no DATABASE_URL/REDIS_URL:\n${out}`);

  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  const templateUrl = withDatabase(databaseUrl, TEMPLATE_DB);
  const ds = await connectAndMigrate({ url: templateUrl, poolSize: 1, applicationName: "holdfast-test-template" });
  await ds.destroy();
  // Leftovers of earlier runs that were killed before their teardown.
  const cutoff = Math.floor(Date.now() / 1000) - 3600;
  const stale: { datname: string }[] = (
    await admin.query(`SELECT datname FROM pg_database WHERE datname ~ '^hf_(test|tpl)_[0-9]+_' AND split_part(datname, '_', 3)::bigint < $1`, [cutoff])
  ).rows;
  for (const { datname } of stale) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.end();

  project.provide("databaseUrl", databaseUrl);
  project.provide("redisUrl", redisUrl);
  project.provide("templateDb", TEMPLATE_DB);
  // The browser tests (test/browser) drive the dashboard's static build in Debian's Chromium.
  ensureDashboardBuilt(root);
  project.provide("chromiumPath", ensureBrowser(root));

  return async () => {
    const c = new Client({ connectionString: databaseUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`).catch(() => undefined);
    await c.end();
  };
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}
