import type { DataSource, EntityManager } from "typeorm";
import { sql } from "../db/sql";
import { ApiKeyEntity } from "../entities/api-key";
import { type CreditStatus, type Role, type User, UserEntity } from "../entities/user";
import { generateApiKey, hashApiKey } from "./api-keys";

export interface NewUser {
  email: string;
  name?: string | null;
  role?: Role;
}

/** Create a user with a fresh API key; the plain key is returned only here. */
export async function createUser(m: EntityManager, u: NewUser): Promise<{ user: User; apiKey: string }> {
  const user = await m.getRepository(UserEntity).save({ email: u.email, name: u.name ?? null, role: u.role ?? "user" });
  const apiKey = await issueApiKey(m, user.id);
  return { user, apiKey };
}

export async function issueApiKey(m: EntityManager, userId: string, name: string | null = null): Promise<string> {
  const k = generateApiKey();
  await m.getRepository(ApiKeyEntity).insert({ userId, prefix: k.prefix, keyHash: k.hash, name });
  return k.key;
}

/**
 * Make sure a known key (ADMIN_API_KEY, the demo key) exists for a user with
 * this email and role; idempotent, so every process can call it on start.
 */
export async function ensureUserWithKey(m: EntityManager, u: NewUser & { apiKey: string }): Promise<User> {
  const rows: { id: string }[] = await sql(m,
    `INSERT INTO users (email, name, role) VALUES ($1, $2, $3)
     ON CONFLICT ((lower(email))) DO UPDATE SET role = EXCLUDED.role RETURNING id`,
    [u.email, u.name ?? null, u.role ?? "user"],
  );
  const userId = rows[0]!.id;
  const k = { prefix: u.apiKey.slice(0, 11), hash: hashApiKey(u.apiKey) };
  await sql(m,
    `INSERT INTO api_keys (user_id, prefix, key_hash, name) VALUES ($1, $2, $3, 'bootstrap')
     ON CONFLICT (key_hash) DO NOTHING`,
    [userId, k.prefix, k.hash],
  );
  return m.getRepository(UserEntity).findOneByOrFail({ id: userId });
}

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  credit_status: CreditStatus;
  low_credit_threshold: string | null;
  pause_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * The user behind an API key (by the key's sha256), or null for unknown and
 * revoked keys. One prepared statement on the driver's pool instead of two
 * TypeORM queries: authentication runs on every request (with the cache in
 * src/users/key-cache.ts, measured: API CPU per submitted job 2.2 → 1.6 ms).
 * The user is frozen, as the cache shares it between requests.
 */
export async function findUserByKeyHash(m: DataSource | EntityManager, keyHash: string): Promise<User | null> {
  const rows = await sql<UserRow>(
    m,
    `SELECT u.id, u.email, u.name, u.role, u.credit_status, u.low_credit_threshold::text AS low_credit_threshold, u.pause_reason, u.created_at, u.updated_at
       FROM api_keys k JOIN users u ON u.id = k.user_id
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
    [keyHash],
    "holdfast_user_by_key_hash",
  );
  const r = rows[0];
  if (!r) return null;
  return Object.freeze({
    id: r.id, email: r.email, name: r.name, role: r.role, creditStatus: r.credit_status,
    lowCreditThreshold: r.low_credit_threshold, pauseReason: r.pause_reason, createdAt: r.created_at, updatedAt: r.updated_at,
  });
}
