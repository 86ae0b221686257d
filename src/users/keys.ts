/**
 * A user's API keys: list, create (named; the plain key is shown once) and
 * revoke. Only the sha256 of a key is stored (./api-keys.ts). Revoking
 * forgets the key in this process's auth cache at once; other API processes
 * stop answering for it within AUTH_CACHE_TTL_MS (src/users/key-cache.ts).
 */
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import { InvalidState, NotFound } from "../errors";
import { UUID_RE } from "../lib/ids";
import { cursorTs, decodeCursor, type Page, toPage } from "../lib/pagination";
import { generateApiKey } from "./api-keys";

/** Live (unrevoked) keys a user may hold at once: enough for every environment, few enough to audit. */
export const MAX_ACTIVE_KEYS = 50;

export interface ApiKeyView {
  id: string;
  name: string | null;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ApiKeyCreated {
  id: string;
  name: string | null;
  prefix: string;
  api_key: string;
  created_at: string;
}

interface KeyRow {
  id: string;
  name: string | null;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = "id, name, prefix, created_at, last_used_at, revoked_at";

function toView(r: KeyRow): ApiKeyView {
  return {
    id: r.id, name: r.name, prefix: r.prefix, created_at: r.created_at.toISOString(),
    last_used_at: r.last_used_at?.toISOString() ?? null, revoked_at: r.revoked_at?.toISOString() ?? null,
  };
}

/** The user's keys, revoked ones included, newest first. */
export async function listKeys(ctx: AppContext, userId: string, q: { limit: number; cursor?: string }): Promise<Page<ApiKeyView>> {
  const cursor = decodeCursor(q.cursor);
  const params: unknown[] = [userId, q.limit + 1];
  let where = "user_id = $1";
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where += ` AND (created_at, id) < ($3::timestamptz, $4::uuid)`;
  }
  const rows = await sql<(KeyRow & { cursor_ts: string })>(ctx.ds,
    `SELECT ${COLUMNS}, ${cursorTs("created_at")} AS cursor_ts FROM api_keys WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $2`,
    params,
  );
  return toPage(rows, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.id }), toView);
}

/**
 * A new key for the user. The cap on live keys is checked in the INSERT
 * itself, under a lock on the user's row, so concurrent creates cannot pass it together.
 */
export async function createKey(ctx: AppContext, userId: string, name: string): Promise<ApiKeyCreated> {
  const k = generateApiKey();
  return ctx.ds.transaction(async (m) => {
    await sql(m, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    const rows = await sql<KeyRow>(m,
      `INSERT INTO api_keys (user_id, prefix, key_hash, name)
       SELECT $1, $2, $3, $4 WHERE (SELECT count(*) FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL) < $5
       RETURNING ${COLUMNS}`,
      [userId, k.prefix, k.hash, name, MAX_ACTIVE_KEYS],
    );
    const r = rows[0];
    if (!r) throw new InvalidState(`You already have ${MAX_ACTIVE_KEYS} active API keys; revoke one first.`, { max_active_keys: MAX_ACTIVE_KEYS });
    ctx.logger.info({ userId, keyId: r.id, prefix: r.prefix }, "API key created");
    return { id: r.id, name: r.name, prefix: r.prefix, api_key: k.key, created_at: r.created_at.toISOString() };
  });
}

/**
 * Revoke a key: the user's own (`ownerId`), or any key (`ownerId` null, for
 * admins). Unknown, malformed or someone else's → 404 (never reveal which).
 * Revoking a revoked key is a no-op that succeeds, so a retried DELETE is harmless.
 */
export async function revokeKey(ctx: AppContext, keyId: string, ownerId: string | null): Promise<void> {
  if (!UUID_RE.test(keyId)) throw new NotFound("API key");
  const rows = await sql<{ key_hash: string; user_id: string }>(
    ctx.ds,
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
      WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2)
      RETURNING key_hash, user_id`,
    [keyId, ownerId],
  );
  const r = rows[0];
  if (!r) throw new NotFound("API key");
  ctx.authCache.invalidate(r.key_hash);
  ctx.logger.info({ keyId, userId: r.user_id, by: ownerId ? "owner" : "admin" }, "API key revoked");
}
