import type { EntityManager } from "typeorm";
import { DEFAULT_CREDIT_TYPE } from "./types";

/** The user's account for a credit type, created on first use (race-safe). */
export async function userAccountId(m: EntityManager, userId: string, creditType = DEFAULT_CREDIT_TYPE): Promise<string> {
  const rows: { id: string }[] = await m.query(`SELECT ledger_user_account($1, $2) AS id`, [userId, creditType]);
  return rows[0]!.id;
}

/** The user's account if it exists, without creating it. */
export async function findUserAccountId(m: EntityManager, userId: string, creditType = DEFAULT_CREDIT_TYPE): Promise<string | null> {
  const rows: { id: string }[] = await m.query(
    `SELECT id FROM ledger_accounts WHERE kind = 'user' AND user_id = $1 AND credit_type = $2`,
    [userId, creditType],
  );
  return rows[0]?.id ?? null;
}
