/**
 * holdDeadline: a hold's expiry is always a valid Date, however extreme the
 * configuration (JOB_ATTEMPTS at its maximum once overflowed 2 ** attempts
 * into an Invalid Date, and every submit answered 500).
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import {
  backoffSumMs, holdDeadline, MAX_ATTEMPT_TIMEOUT_MS, MAX_BACKOFF_SUM_MS, MAX_DATE_MS, MAX_TTL_SECONDS,
} from "../../src/jobs/hold-deadline";

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const valid = (d: Date) => Number.isFinite(d.getTime());

describe("backoffSumMs (BullMQ exponential: delay * 2^(k-1) before retry k)", () => {
  it("sums the waits between attempts exactly while under the cap", () => {
    expect(backoffSumMs(1, 1000)).toBe(0); // one attempt: no retry, no wait
    expect(backoffSumMs(2, 1000)).toBe(1000);
    expect(backoffSumMs(3, 1000)).toBe(1000 + 2000);
    expect(backoffSumMs(4, 1000)).toBe(1000 + 2000 + 4000);
    expect(backoffSumMs(20, 1000)).toBe(1000 * (2 ** 19 - 1));
  });

  it("caps the sum instead of overflowing", () => {
    expect(backoffSumMs(50, 1000)).toBe(MAX_BACKOFF_SUM_MS);
    expect(backoffSumMs(10_000, 3_600_000)).toBe(MAX_BACKOFF_SUM_MS);
    expect(backoffSumMs(Number.MAX_SAFE_INTEGER, Number.MAX_VALUE)).toBe(MAX_BACKOFF_SUM_MS);
    expect(backoffSumMs(Infinity, Infinity)).toBe(MAX_BACKOFF_SUM_MS);
  });

  it("treats nonsense as nothing to wait for", () => {
    expect(backoffSumMs(NaN, 1000)).toBe(0);
    expect(backoffSumMs(5, NaN)).toBe(0);
    expect(backoffSumMs(-3, 1000)).toBe(0);
    expect(backoffSumMs(5, -1000)).toBe(0);
  });
});

describe("holdDeadline", () => {
  it("is now + attempts × timeout + the backoff waits + the TTL for ordinary settings", () => {
    const d = holdDeadline(NOW, 30_000, 3, 1000, 3600);
    expect(d.getTime()).toBe(NOW + 3 * 30_000 + (1000 + 2000) + 3600 * 1000);
  });

  it("is a valid Date at every extreme, never before now", () => {
    const cases: [number, number, number, number][] = [
      [30_000, 50, 1000, 3600], // the old maximum of JOB_ATTEMPTS: 2 ** 50 s is past any Date
      [30_000, 20, 3_600_000, 30 * 24 * 3600], // today's maxima together
      [Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Number.MAX_VALUE],
      [Infinity, Infinity, Infinity, Infinity],
      [NaN, NaN, NaN, NaN],
      [-1, -1, -1, -1],
      [0, 0, 0, 0],
      [1, 1, 0, 0],
    ];
    for (const [timeout, attempts, backoff, ttl] of cases) {
      const d = holdDeadline(NOW, timeout, attempts, backoff, ttl);
      expect(valid(d), JSON.stringify([timeout, attempts, backoff, ttl])).toBe(true);
      expect(d.getTime()).toBeGreaterThanOrEqual(NOW);
      expect(d.toISOString()).toMatch(/^\d{4}-/); // Postgres gets a timestamp it can store
    }
  });

  it("caps each term, so the worst case is bounded and known", () => {
    const worst = holdDeadline(NOW, Infinity, 1000, Infinity, Infinity).getTime() - NOW;
    expect(worst).toBe(1000 * MAX_ATTEMPT_TIMEOUT_MS + MAX_BACKOFF_SUM_MS + MAX_TTL_SECONDS * 1000);
  });

  it("never passes the largest Date, even from a clock at the end of time", () => {
    expect(holdDeadline(MAX_DATE_MS, 30_000, 3, 1000, 3600).getTime()).toBe(MAX_DATE_MS);
    expect(valid(holdDeadline(MAX_DATE_MS - 1, 30_000, 3, 1000, 3600))).toBe(true);
    expect(valid(holdDeadline(NaN, 30_000, 3, 1000, 3600))).toBe(true);
  });

  it("grows with attempts up to the cap (a retry never shortens the hold)", () => {
    let prev = 0;
    for (let attempts = 1; attempts <= 60; attempts++) {
      const t = holdDeadline(NOW, 30_000, attempts, 1000, 3600).getTime();
      expect(t).toBeGreaterThan(prev);
      prev = t;
    }
  });
});

describe("configuration bounds", () => {
  it("accepts the maxima, and the deadline from them is valid", () => {
    const c = loadConfig({ JOB_ATTEMPTS: "20", JOB_BACKOFF_MS: "3600000", HOLD_TTL_SECONDS: String(30 * 24 * 3600) });
    expect(valid(holdDeadline(NOW, 120_000, c.JOB_ATTEMPTS, c.JOB_BACKOFF_MS, c.HOLD_TTL_SECONDS))).toBe(true);
  });

  it.each([
    ["JOB_ATTEMPTS", "21"],
    ["JOB_ATTEMPTS", "50"],
    ["JOB_BACKOFF_MS", "3600001"],
    ["HOLD_TTL_SECONDS", String(30 * 24 * 3600 + 1)],
  ])("refuses %s=%s at start-up, naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
