import type { EntityManager } from "typeorm";
import { sql } from "../db/sql";
import { DEFAULT_CREDIT_TYPE } from "./types";

/** The user's account for a credit type, created on first use (race-safe). */
export async function userAccountId(m: EntityManager, userId: string, creditType = DEFAULT_CREDIT_TYPE): Promise<string> {
  const rows = await sql<{ id: string }>(m, `SELECT ledger_user_account($1, $2) AS id`, [userId, creditType]);
  return rows[0]!.id;
}

/** The user's account if it exists, without creating it. */
export async function findUserAccountId(m: EntityManager, userId: string, creditType = DEFAULT_CREDIT_TYPE): Promise<string | null> {
  const rows = await sql<{ id: string }>(
    m,
    `SELECT id FROM ledger_accounts WHERE kind = 'user' AND user_id = $1 AND credit_type = $2`,
    [userId, creditType],
  );
  return rows[0]?.id ?? null;
}

/**
 * Users' account ids, remembered: an id never changes once created, and the
 * submission hot path saves a round trip per job. Held by its owner (one per
 * API), bounded.
 */
export class AccountIds {
  private readonly ids = new Map<string, string>();

  constructor(private readonly max = 100_000) {}

  async get(m: EntityManager, userId: string, creditType: string): Promise<string> {
    const k = `${userId}:${creditType}`;
    const cached = this.ids.get(k);
    if (cached) return cached;
    const id = await userAccountId(m, userId, creditType);
    if (this.ids.size >= this.max) this.ids.clear();
    this.ids.set(k, id);
    return id;
  }
}
