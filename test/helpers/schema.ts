/**
 * What a database's schema is, as comparable data read from the catalogue:
 * two databases with equal snapshots have the same tables, columns (in
 * order), types, domains, constraints (by name), indexes, triggers, storage
 * options, extensions, functions (pg_get_functiondef, byte for byte) and seed
 * rows. Read through a plain pg client, so it works on any database.
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { inject } from "vitest";

const QUERIES = {
  extensions: `SELECT extname FROM pg_extension ORDER BY 1`,
  domains: `
    SELECT t.typname, format_type(t.typbasetype, t.typtypmod) AS base, t.typnotnull, t.typdefault
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'public' AND t.typtype = 'd' ORDER BY 1`,
  relations: `
    SELECT c.relname, c.relkind, c.reloptions
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 'S', 'v', 'm') ORDER BY 1`,
  columns: `
    SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
           pg_get_expr(d.adbin, d.adrelid) AS default
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2`,
  constraints: `
    SELECT coalesce(co.conrelid::regclass::text, co.contypid::regtype::text) AS owner, co.conname, pg_get_constraintdef(co.oid) AS def
      FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
     WHERE n.nspname = 'public' ORDER BY 1, 2`,
  indexes: `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`,
  triggers: `
    SELECT tg.tgname, pg_get_triggerdef(tg.oid) AS def
      FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND NOT tg.tgisinternal ORDER BY 1`,
  functions: `
    SELECT p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS def
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public' ORDER BY 1`,
  packages: `SELECT to_jsonb(p) - 'created_at' AS row FROM packages p ORDER BY id`,
} as const;

export type SchemaSnapshot = Record<keyof typeof QUERIES, unknown[]>;

export async function schemaSnapshot(url: string): Promise<SchemaSnapshot> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const out: Partial<SchemaSnapshot> = {};
    for (const [key, sql] of Object.entries(QUERIES)) out[key as keyof SchemaSnapshot] = (await c.query(sql)).rows;
    return out as SchemaSnapshot;
  } finally {
    await c.end();
  }
}

export interface EmptyDb {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database (named like createTestDb's, so a killed run's leftovers are swept). */
export async function createEmptyDb(): Promise<EmptyDb> {
  const baseUrl = inject("databaseUrl");
  const name = `hf_test_${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString("hex")}`;
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: baseUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
