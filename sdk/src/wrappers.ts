/**
 * Credit wrappers for an application's own functions (the seeds'
 * decorators). Each returns a function with the wrapped function's
 * parameters; the credits move through the holds API, so a crash between
 * hold and capture costs nothing: the hold expires and is released.
 */
import type { HoldfastClient } from "./client.js";
import { InsufficientCreditsError } from "./errors.js";
import type { Hold } from "./types.js";

type Cost<A extends unknown[]> = number | ((...args: A) => number);
const costOf = <A extends unknown[]>(c: Cost<A>, args: A): number => (typeof c === "function" ? c(...args) : c);

export interface ConsumeOptions<A extends unknown[]> {
  /** Credits per call, or a function of the call's arguments (e.g. 1 per 100 characters). */
  credits: Cost<A>;
  description: string;
  /** True for an error that is the caller's fault: the hold is captured anyway (default: every error releases). */
  chargeOnError?: (err: unknown) => boolean;
  /** How long the hold may live if this process dies before capturing (default 3600 s). */
  ttlSeconds?: number;
  creditType?: string;
}

async function hold(hf: HoldfastClient, credits: number, o: { description: string; ttlSeconds?: number; creditType?: string }): Promise<Hold> {
  return hf.holds.create({ credits, description: o.description, ttlSeconds: o.ttlSeconds, creditType: o.creditType });
}

/** Capture or release; a failure to settle must not hide the function's own outcome, and the hold expires anyway. */
async function settle(hf: HoldfastClient, h: Hold, credits: number): Promise<void> {
  if (credits > 0) await hf.holds.capture(h.id, { credits });
  else await hf.holds.release(h.id);
}

/**
 * Hold the cost, run `fn`, capture on success. A thrown error releases
 * everything, unless `chargeOnError(err)` says it is the caller's fault.
 * Not enough credits → InsufficientCreditsError before `fn` runs.
 */
export function consumeCredits<A extends unknown[], R>(hf: HoldfastClient, opts: ConsumeOptions<A>, fn: (...args: A) => R | Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const credits = costOf(opts.credits, args);
    const h = await hold(hf, credits, opts);
    let result: R;
    try {
      result = await fn(...args);
    } catch (err) {
      await settle(hf, h, opts.chargeOnError?.(err) ? credits : 0);
      throw err;
    }
    await settle(hf, h, credits);
    return result;
  };
}

export interface BatchOptions<T> {
  /** Credits for one item. */
  credits: number | ((item: T, index: number) => number);
  description: string;
  chargeOnError?: (err: unknown) => boolean;
  ttlSeconds?: number;
  creditType?: string;
}

/**
 * The batch form: hold the TOTAL of all items at once (all or nothing: short
 * → InsufficientCreditsError and no item runs), run `fn` on every item, then
 * capture what the succeeded items (and those failed by the caller's fault)
 * cost and release the rest, in one capture. Resolves with each item's
 * outcome, like Promise.allSettled.
 */
export function consumeCreditsBatch<T, R>(hf: HoldfastClient, opts: BatchOptions<T>, fn: (item: T, index: number) => R | Promise<R>): (items: T[]) => Promise<PromiseSettledResult<R>[]> {
  return async (items: T[]) => {
    const costs = items.map((it, i) => (typeof opts.credits === "function" ? opts.credits(it, i) : opts.credits));
    const total = costs.reduce((a, b) => a + b, 0);
    if (total === 0) return Promise.allSettled(items.map((it, i) => fn(it, i)));
    const h = await hold(hf, total, opts);
    const results = await Promise.allSettled(items.map(async (it, i) => fn(it, i)));
    const charged = results.reduce((sum, r, i) => sum + (r.status === "fulfilled" || opts.chargeOnError?.(r.reason) ? costs[i]! : 0), 0);
    await settle(hf, h, charged);
    return results;
  };
}
/** `consumeCredits.batch(...)` is consumeCreditsBatch. */
consumeCredits.batch = consumeCreditsBatch;

/**
 * Refuse early: throw InsufficientCreditsError before `fn` runs when the
 * balance is short. Charges nothing (use it in front of free-but-gated work).
 */
export function requireCredits<A extends unknown[], R>(hf: HoldfastClient, opts: { credits: Cost<A>; creditType?: string }, fn: (...args: A) => R | Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const credits = costOf(opts.credits, args);
    const c = await hf.credits.check(credits, { creditType: opts.creditType });
    if (!c.affordable) throw new InsufficientCreditsError(c.required, c.available, opts.creditType ?? "standard");
    return fn(...args);
  };
}

/** What a creditAware function reports its usage to. */
export interface Meter {
  /** Record `credits` used; past the hold it throws InsufficientCreditsError (and records nothing). */
  use(credits: number): void;
  readonly used: number;
  readonly remaining: number;
  readonly hold: Hold;
}

export interface CreditAwareOptions {
  /** The hold: the most one call may cost. */
  maxCredits: number;
  description: string;
  chargeOnError?: (err: unknown) => boolean;
  ttlSeconds?: number;
  creditType?: string;
}

/**
 * `fn(meter, ...args)` reports usage as it works (`meter.use(n)` per 100
 * characters, per MB…). The hold is `maxCredits`; on success the capture is
 * what was used (nothing used → released). On a thrown error everything is
 * released, unless it is the caller's fault (`chargeOnError`) or the meter's
 * own InsufficientCreditsError (the work up to the hold was done): then what
 * was used is captured.
 */
export function creditAware<A extends unknown[], R>(hf: HoldfastClient, opts: CreditAwareOptions, fn: (meter: Meter, ...args: A) => R | Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const h = await hold(hf, opts.maxCredits, opts);
    let used = 0;
    let overran: InsufficientCreditsError | null = null;
    const meter: Meter = {
      use(n: number) {
        if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`meter.use needs a whole number of credits ≥ 0, got ${n}`);
        if (used + n > opts.maxCredits) {
          overran = new InsufficientCreditsError(used + n, opts.maxCredits, opts.creditType ?? "standard",
            `Used ${used + n} credits, more than the ${opts.maxCredits} held for "${opts.description}".`);
          throw overran;
        }
        used += n;
      },
      get used() { return used; },
      get remaining() { return opts.maxCredits - used; },
      hold: h,
    };
    let result: R;
    try {
      result = await fn(meter, ...args);
    } catch (err) {
      await settle(hf, h, err === overran || opts.chargeOnError?.(err) ? used : 0);
      throw err;
    }
    await settle(hf, h, used);
    return result;
  };
}
