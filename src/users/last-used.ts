/**
 * `api_keys.last_used_at`, recorded cheaply: at most once per key per
 * LAST_USED_RESOLUTION_MS per process, by an UPDATE that is sent after the
 * request was authenticated and never awaited by it. The column is
 * therefore accurate to about a minute, which is what a key list needs
 * ("used 3 minutes ago"), at the cost of one small write per active key per
 * minute instead of one per request.
 */
import { sql } from "../db/sql";
import type { AppContext } from "../context";

/** How stale last_used_at may be, in ms (default 60000). */
export const LAST_USED_RESOLUTION_MS = 60_000;
/** Keys remembered per process; past it the map is emptied (at worst one extra write per key). */
const MAX_TRACKED = 10_000;

export class LastUsedRecorder {
  /** key hash → wall-clock time (ms) the last write was sent. */
  private readonly written = new Map<string, number>();

  constructor(
    private readonly ctx: Pick<AppContext, "ds" | "logger">,
    private readonly resolutionMs = LAST_USED_RESOLUTION_MS,
  ) {}

  /** Note that this key was just used; writes to the database at most once per resolution. */
  touch(keyHash: string, nowMs = Date.now()): void {
    const last = this.written.get(keyHash);
    if (last !== undefined && nowMs - last < this.resolutionMs) return;
    if (this.written.size >= MAX_TRACKED) this.written.clear();
    this.written.set(keyHash, nowMs);
    // The condition keeps several API processes from each rewriting the same minute.
    sql(
      this.ctx.ds,
      `UPDATE api_keys SET last_used_at = now()
          WHERE key_hash = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [keyHash, this.resolutionMs / 1000],
    ).catch((err: unknown) => this.ctx.logger.debug({ err }, "could not record an API key's last use"));
  }
}
