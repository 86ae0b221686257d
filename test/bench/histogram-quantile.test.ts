/**
 * The bench reads the submit phases' p50/p99 off the API's Prometheus
 * histogram (scripts/bench-lib.ts): only what was observed between two
 * scrapes counts, and a quantile is interpolated within its bucket as
 * Prometheus's histogram_quantile does.
 */
import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { histogramBuckets, quantileBetween } from "../../scripts/bench-lib";

function histogram() {
  const registry = new Registry();
  const h = new Histogram({ name: "t_phase_seconds", help: "t", labelNames: ["phase"], buckets: [0.001, 0.002, 0.005, 0.01], registers: [registry] });
  const read = async (phase: string) => histogramBuckets(await registry.metrics(), "t_phase_seconds", "phase", phase);
  return { h, read };
}

describe("quantileBetween", () => {
  it("counts only what was observed between the scrapes, interpolating within the bucket", async () => {
    const { h, read } = histogram();
    for (let i = 0; i < 100; i++) h.observe({ phase: "wait" }, 0.009); // before: all in the 5–10 ms bucket
    const before = await read("wait");
    for (let i = 0; i < 50; i++) h.observe({ phase: "wait" }, 0.0005); // ≤ 1 ms
    for (let i = 0; i < 50; i++) h.observe({ phase: "wait" }, 0.0015); // 1–2 ms
    h.observe({ phase: "statement" }, 0.5); // another label: ignored
    const after = await read("wait");
    expect(after.get(Infinity)).toBe(200);
    // 100 new observations: the 50th is the last of the first bucket, the 75th half-way through the second.
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.001, 9);
    expect(quantileBetween(before, after, 0.75)).toBeCloseTo(0.0015, 9);
    expect(quantileBetween(before, after, 0.99)).toBeCloseTo(0.00198, 9);
    // Without the first scrape the earlier 9 ms observations would count.
    expect(quantileBetween(new Map(), after, 0.99)).toBeGreaterThan(0.005);
  });

  it("is NaN with nothing observed, and the last finite bound for the +Inf bucket", async () => {
    const { h, read } = histogram();
    h.observe({ phase: "wait" }, 0.001);
    const before = await read("wait");
    expect(quantileBetween(before, await read("wait"), 0.5)).toBeNaN();
    h.observe({ phase: "wait" }, 3);
    expect(quantileBetween(before, await read("wait"), 0.99)).toBe(0.01);
  });
});
