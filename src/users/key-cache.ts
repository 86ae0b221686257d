/**
 * The users behind API keys, kept in memory for a short while so the API
 * does not look a key up on every request (measured: the lookup was two of
 * the three database round trips of POST /jobs).
 *
 * What staleness this allows, and why it is safe:
 * - An entry lives AUTH_CACHE_TTL_MS (default 2000 ms) from when its lookup
 *   was sent, so a key revoked or a role changed by another process takes
 *   effect within that time. Changes made through this process
 *   (setCreditStatus, ensureBootstrapAdmin's key rotation, revoking a key) clear the cache at once.
 * - Only active users are kept. A paused user is looked up on every request,
 *   so a resume takes effect at once; and a pause never waits for the TTL
 *   where money is concerned: every statement that holds credits re-checks
 *   `credit_status = 'active'` in the same statement (submitJob, batches).
 * - Unknown and revoked keys are never kept: a new key works at once, and a
 *   bad key costs the same lookup it always did.
 * - Concurrent requests with the same key share one lookup.
 * - At most MAX_ENTRIES keys (oldest first out), so memory stays bounded
 *   whatever keys are sent.
 *
 * One cache per database (a WeakMap keyed by the context's DataSource, not a
 * module singleton): everything built on one data source shares it, so a
 * change made through it (setCreditStatus, ensureBootstrapAdmin) can clear
 * it; tests with their own database do not share.
 */
import { performance } from "node:perf_hooks";
import type { User } from "../entities/user";

const MAX_ENTRIES = 10_000;

interface Entry {
  user: Promise<User | null>;
  /** performance.now() after which the entry is not used. */
  expiresAt: number;
}

export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();

  /** ttlMs 0 turns the cache off (every call loads). */
  constructor(private readonly ttlMs: number, private readonly maxEntries = MAX_ENTRIES) {}

  /** The user for this key hash: from memory while fresh, else from `load`. */
  get(keyHash: string, load: () => Promise<User | null>): Promise<User | null> {
    if (this.ttlMs === 0) return load();
    const now = performance.now();
    const hit = this.entries.get(keyHash);
    if (hit && hit.expiresAt > now) return hit.user;
    if (hit) this.entries.delete(keyHash);
    const entry: Entry = { user: load(), expiresAt: now + this.ttlMs };
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(keyHash, entry);
    // Keep only what is safe to answer from memory: an active user. Removed only if still this
    // lookup's entry (a clear() or a newer lookup may have replaced it).
    const drop = () => {
      if (this.entries.get(keyHash) === entry) this.entries.delete(keyHash);
    };
    entry.user.then((u) => (u?.creditStatus === "active" ? undefined : drop()), drop);
    return entry.user;
  }

  /** Forget one key (after it was revoked through this process). */
  invalidate(keyHash: string): void {
    this.entries.delete(keyHash);
  }

  /** Forget every key (after a change to a user made by this process). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
