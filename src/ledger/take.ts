import type { EntityManager } from "typeorm";
import { sql } from "../db/sql";
import { LedgerConflict } from "../errors";
import { LedgerError } from "./plans";
import { toInt } from "./types";

export interface TakeLotsInput {
  /** The transfer's id: a retry with the same id takes nothing more. */
  id: string;
  accountId: string;
  /** The lots to take from, burnt in this order. */
  lotIds: string[];
  /** At most this many credits (0 takes nothing). */
  max: number;
  type: "clawback" | "adjustment";
  description: string;
  metadata?: Record<string, unknown> | null;
}

/**
 * Take up to `max` credits out of particular lots into the `clawback` system
 * account (ledger_take_lots): no more than the lots hold and the account has
 * available. Returns what was taken (by this call or, on a replay, the first).
 */
export async function takeLots(m: EntityManager, t: TakeLotsInput): Promise<{ status: "created" | "exists" | "nothing"; taken: number }> {
  if (!Number.isSafeInteger(t.max) || t.max < 0) throw new RangeError(`max must be a non-negative whole number, got ${t.max}`);
  if (t.max === 0 || t.lotIds.length === 0) return { status: "nothing", taken: 0 };
  const rows = await sql<{ status: string; amount: string }>(
    m,
    `SELECT * FROM ledger_take_lots($1, $2, $3::uuid[], $4, $5, 'clawback', $6, $7)`,
    [t.id, t.accountId, t.lotIds, t.max, t.type, t.description, t.metadata ? JSON.stringify(t.metadata) : null],
  );
  const r = rows[0]!;
  if (r.status === "conflict") throw new LedgerConflict(t.id);
  if (r.status !== "created" && r.status !== "exists" && r.status !== "nothing") throw new LedgerError(`take failed: ${r.status}`, r.status);
  return { status: r.status, taken: toInt(r.amount) };
}

/** The lot a grant transfer created (null if there is none). */
export async function lotOfGrant(m: EntityManager, grantTransferId: string): Promise<string | null> {
  const rows = await sql<{ id: string }>(m, `SELECT id FROM ledger_lots WHERE grant_transfer_id = $1`, [grantTransferId]);
  return rows[0]?.id ?? null;
}

/** The lots some grant transfers created, in the order of `grantTransferIds` (grants without a lot are left out). */
export async function lotsOfGrants(m: EntityManager, grantTransferIds: string[]): Promise<{ id: string; grantTransferId: string; expiresAt: Date | null }[]> {
  if (grantTransferIds.length === 0) return [];
  const rows = await sql<{ id: string; grant_transfer_id: string; expires_at: Date | null }>(m,
    `SELECT id, grant_transfer_id, expires_at FROM ledger_lots WHERE grant_transfer_id = ANY ($1::uuid[])`, [grantTransferIds]);
  const by = new Map(rows.map((r) => [r.grant_transfer_id, r]));
  return grantTransferIds.flatMap((g) => {
    const r = by.get(g);
    return r ? [{ id: r.id, grantTransferId: g, expiresAt: r.expires_at }] : [];
  });
}
