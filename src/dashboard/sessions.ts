/**
 * Dashboard sessions: a browser signs in once with an API key (or a one-click
 * sign-in token) and from then on carries an opaque session token in an
 * HTTP-only cookie instead of the key. A session acts as the key it was
 * opened with — it resolves to that key's hash and from there through the
 * same lookup bearer keys use — so it can do exactly what the key can, and
 * revoking the key ends it. Only sha256 of tokens is stored.
 */
import { randomBytes } from "node:crypto";
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import type { User } from "../entities/user";
import { AppError } from "../errors";
import { hashApiKey } from "../users/api-keys";
import { findUserByKeyHash } from "../users/users";

/** Session lifetime in seconds (12 h): long enough for a working day, short enough that a forgotten browser signs out. */
export const SESSION_TTL_SECONDS = 12 * 3600;
/** One-click sign-in token lifetime in seconds (default 15 min): it is printed on a terminal and used at once. */
export const SIGN_IN_TOKEN_TTL_SECONDS = 15 * 60;

/** What sessions need: the database and the clock (the seed script has no full AppContext). */
export type SessionDeps = Pick<AppContext, "ds" | "clock">;

export interface OpenedSession {
  token: string;
  expiresAt: Date;
  user: User;
}

const newToken = () => randomBytes(32).toString("base64url");

async function insertToken(ctx: SessionDeps, kind: "session" | "sign_in", keyHash: string, ttlSeconds: number): Promise<{ token: string; expiresAt: Date }> {
  const token = newToken();
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  await sql(ctx.ds,
    `INSERT INTO dashboard_sessions (token_hash, kind, key_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)`,
    [hashApiKey(token), kind, keyHash, expiresAt, now],
  );
  return { token, expiresAt };
}

async function openForKeyHash(ctx: SessionDeps, keyHash: string): Promise<OpenedSession> {
  const user = await findUserByKeyHash(ctx.ds, keyHash);
  if (!user) throw new AppError("unauthenticated", "This API key is unknown or has been revoked.");
  // Housekeeping on sign-in (rare, indexed): expired rows are useless.
  await sql(ctx.ds, `DELETE FROM dashboard_sessions WHERE expires_at < $1`, [ctx.clock.now()]);
  const { token, expiresAt } = await insertToken(ctx, "session", keyHash, SESSION_TTL_SECONDS);
  return { token, expiresAt, user };
}

/** Sign in with an API key: 401 for an unknown or revoked key. */
export async function openSessionWithKey(ctx: SessionDeps, apiKey: string): Promise<OpenedSession> {
  return openForKeyHash(ctx, hashApiKey(apiKey));
}

/** A single-use sign-in token for the holder of `apiKey` (e.g. the demo user's link printed by `npm start`). */
export async function createSignInToken(ctx: SessionDeps, apiKey: string, ttlSeconds = SIGN_IN_TOKEN_TTL_SECONDS): Promise<{ token: string; expiresAt: Date }> {
  return insertToken(ctx, "sign_in", hashApiKey(apiKey), ttlSeconds);
}

/**
 * Redeem a sign-in token. One conditional UPDATE decides: of two concurrent
 * redemptions exactly one sees `used_at IS NULL`; a used or expired token is 401.
 */
export async function openSessionWithSignInToken(ctx: SessionDeps, token: string): Promise<OpenedSession> {
  const rows = await sql<{ key_hash: string }>(
    ctx.ds,
    `UPDATE dashboard_sessions SET used_at = $2
      WHERE token_hash = $1 AND kind = 'sign_in' AND used_at IS NULL AND expires_at > $2
      RETURNING key_hash`,
    [hashApiKey(token), ctx.clock.now()],
  );
  const row = rows[0];
  if (!row) throw new AppError("unauthenticated", "This sign-in link is invalid, expired or already used; sign in with your API key.");
  return openForKeyHash(ctx, row.key_hash);
}

/** The API key hash a live session stands for, or null (unknown or expired). */
export async function sessionKeyHash(ctx: SessionDeps, token: string): Promise<string | null> {
  const rows: { key_hash: string }[] = await sql(ctx.ds,
    `SELECT key_hash FROM dashboard_sessions WHERE token_hash = $1 AND kind = 'session' AND expires_at > $2`,
    [hashApiKey(token), ctx.clock.now()],
  );
  return rows[0]?.key_hash ?? null;
}

export async function endSession(ctx: SessionDeps, token: string): Promise<void> {
  await sql(ctx.ds, `DELETE FROM dashboard_sessions WHERE token_hash = $1 AND kind = 'session'`, [hashApiKey(token)]);
}
