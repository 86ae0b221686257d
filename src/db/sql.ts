import type { DataSource, EntityManager } from "typeorm";

/**
 * Run SQL and get its rows. TypeORM's PostgreSQL driver returns
 * `[rows, rowCount]` for UPDATE and DELETE (also with RETURNING) but plain
 * rows otherwise; this makes both look the same.
 */
export async function sqlRows<T>(m: EntityManager | DataSource, sql: string, params: unknown[] = []): Promise<T[]> {
  const r: unknown = await m.query(sql, params);
  if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === "number") return r[0] as T[];
  return r as T[];
}
