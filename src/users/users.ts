import type { EntityManager } from "typeorm";
import { ApiKeyEntity } from "../entities/api-key";
import { type Role, type User, UserEntity } from "../entities/user";
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
  const rows: { id: string }[] = await m.query(
    `INSERT INTO users (email, name, role) VALUES ($1, $2, $3)
     ON CONFLICT ((lower(email))) DO UPDATE SET role = EXCLUDED.role RETURNING id`,
    [u.email, u.name ?? null, u.role ?? "user"],
  );
  const userId = rows[0]!.id;
  const k = { prefix: u.apiKey.slice(0, 11), hash: hashApiKey(u.apiKey) };
  await m.query(
    `INSERT INTO api_keys (user_id, prefix, key_hash, name) VALUES ($1, $2, $3, 'bootstrap')
     ON CONFLICT (key_hash) DO NOTHING`,
    [userId, k.prefix, k.hash],
  );
  return m.getRepository(UserEntity).findOneByOrFail({ id: userId });
}

/** The active user behind an API key, or null for unknown and revoked keys. */
export async function findUserByApiKey(m: EntityManager, key: string): Promise<User | null> {
  const rows: { user_id: string }[] = await m.query(
    `SELECT user_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hashApiKey(key)],
  );
  if (!rows[0]) return null;
  return m.getRepository(UserEntity).findOneBy({ id: rows[0].user_id });
}
