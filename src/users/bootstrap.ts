/**
 * The first admin. Every process entrypoint (API, worker, scheduler) calls
 * ensureBootstrapAdmin on start: when ADMIN_API_KEY is set, the user
 * admin@holdfast.local exists with role admin and that key works. Safe to
 * run concurrently and on every restart.
 *
 * Rotation: changing ADMIN_API_KEY and restarting revokes the previous
 * bootstrap key of that user, so an old key stops working.
 */
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import type { User } from "../entities/user";
import { hashApiKey } from "./api-keys";
import { ensureUserWithKey } from "./users";

export const BOOTSTRAP_ADMIN_EMAIL = "admin@holdfast.local";

/** Shorter keys are refused in production (guessable), warned about elsewhere. */
const MIN_KEY_LENGTH = 20;

export async function ensureBootstrapAdmin(ctx: Pick<AppContext, "config" | "ds" | "logger" | "authCache">): Promise<User | null> {
  const key = ctx.config.ADMIN_API_KEY;
  if (!key) return null;
  if (key.length < MIN_KEY_LENGTH || /\s/.test(key)) {
    const msg = `ADMIN_API_KEY should be at least ${MIN_KEY_LENGTH} characters without spaces (use a long random string).`;
    if (ctx.config.NODE_ENV === "production") throw new Error(msg);
    ctx.logger.warn(msg);
  }
  const hash = hashApiKey(key);
  const user = await ctx.ds.transaction(async (m) => {
    const admin = await ensureUserWithKey(m, { email: BOOTSTRAP_ADMIN_EMAIL, name: "Admin", role: "admin", apiKey: key });
    const owner: { user_id: string }[] = await sql(m, `SELECT user_id FROM api_keys WHERE key_hash = $1`, [hash]);
    if (owner[0]?.user_id !== admin.id) {
      // ensureUserWithKey leaves a key that already exists alone: it would log in as someone else.
      throw new Error("ADMIN_API_KEY is already the API key of another user; choose a different key.");
    }
    // The operator configured this key: make sure it works even if it was revoked by an earlier rotation.
    await sql(m, `UPDATE api_keys SET revoked_at = NULL WHERE key_hash = $1 AND revoked_at IS NOT NULL`, [hash]);
    await sql(m,
      `UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND name = 'bootstrap' AND key_hash <> $2 AND revoked_at IS NULL`,
      [admin.id, hash],
    );
    return admin;
  });
  // A rotation revokes the old key and may change the role: keys answered from memory must not outlive it.
  ctx.authCache.clear();
  ctx.logger.info({ userId: user.id, email: BOOTSTRAP_ADMIN_EMAIL }, "bootstrap admin ready");
  return user;
}
