/**
 * When a job's hold may expire: past the job's longest possible life, every
 * attempt's timeout plus the waits between attempts, plus HOLD_TTL_SECONDS of
 * slack. Pure arithmetic, so the extremes are easy to test.
 *
 * BullMQ's exponential backoff waits `backoffMs * 2^(k-1)` before retry k
 * (k = 1 … attempts-1), so the waits sum to `backoffMs * (2^(attempts-1) - 1)`.
 * Near the allowed maxima that sum (and `2 ** attempts` itself) leaves the
 * range a Date can hold, and `new Date(NaN-or-huge)` is an Invalid Date that
 * fails every submit. So each term is capped; a cap is safe because the hold
 * reaper never expires the hold of a job BullMQ still has (waiting, delayed
 * or active): the deadline only decides when the reaper starts asking.
 */

/** Most the backoff waits count for (30 days, in ms). */
export const MAX_BACKOFF_SUM_MS = 30 * 24 * 3600 * 1000;
/** Most one attempt's timeout counts for (1 day, in ms). */
export const MAX_ATTEMPT_TIMEOUT_MS = 24 * 3600 * 1000;
/** Most the slack past the run counts for (365 days, in seconds). */
export const MAX_TTL_SECONDS = 365 * 24 * 3600;
/** Most attempts that count (beyond it the backoff cap binds anyway). */
export const MAX_ATTEMPTS = 1000;
/** The largest time a JavaScript Date can hold (ms since the epoch, ±100,000,000 days). */
export const MAX_DATE_MS = 8.64e15;

/** A finite number clamped to [0, max]; NaN and negatives count as 0. */
function bounded(n: number, max: number): number {
  return Number.isFinite(n) ? Math.min(Math.max(n, 0), max) : n === Infinity ? max : 0;
}

/** Sum of BullMQ's exponential waits before retries 1 … attempts-1, capped at MAX_BACKOFF_SUM_MS. */
export function backoffSumMs(attempts: number, backoffMs: number): number {
  const delay = bounded(backoffMs, MAX_BACKOFF_SUM_MS);
  const retries = Math.max(0, Math.floor(bounded(attempts, MAX_ATTEMPTS)) - 1);
  let sum = 0;
  // Add wait by wait and stop at the cap: no 2 ** attempts that overflows.
  for (let k = 1; k <= retries && sum < MAX_BACKOFF_SUM_MS; k++) sum += delay * 2 ** (k - 1);
  return Math.min(sum, MAX_BACKOFF_SUM_MS);
}

/**
 * The hold's expiry for a job submitted at `nowMs`: attempts × timeout, the
 * backoff waits and `ttlSeconds`, each capped, never before `nowMs` and never
 * past the largest valid Date — always a valid Date.
 */
export function holdDeadline(nowMs: number, timeoutMs: number, attempts: number, backoffMs: number, ttlSeconds: number): Date {
  const now = Number.isFinite(nowMs) ? Math.min(Math.max(nowMs, -MAX_DATE_MS), MAX_DATE_MS) : Date.now();
  const tries = Math.max(1, Math.floor(bounded(attempts, MAX_ATTEMPTS)));
  const runMs = bounded(timeoutMs, MAX_ATTEMPT_TIMEOUT_MS) * tries;
  const lifeMs = runMs + backoffSumMs(tries, backoffMs) + bounded(ttlSeconds, MAX_TTL_SECONDS) * 1000;
  return new Date(Math.min(now + lifeMs, MAX_DATE_MS));
}
