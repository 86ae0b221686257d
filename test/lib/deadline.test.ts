/** src/lib/deadline.ts: bounded waits (the shutdowns, the API's drain, probes and queue calls use them). */
import { describe, expect, it } from "vitest";
import { deadline, within } from "../../src/lib/deadline";

const after = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));
const failAfter = (ms: number, message: string) => new Promise<never>((_, reject) => setTimeout(() => reject(new Error(message)), ms));

describe("within", () => {
  it("answers with the promise's value when it settles in time", async () => {
    expect(await within(after(5, "done"), 1000, "late")).toBe("done");
  });

  it("answers `late` once the time is up, without waiting for the promise", async () => {
    const started = performance.now();
    expect(await within(after(2000, "done"), 30, "late")).toBe("late");
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("rejects when the promise fails in time", async () => {
    await expect(within(failAfter(5, "boom"), 1000, "late")).rejects.toThrow("boom");
  });

  it("leaves a failure after the time to nobody (no unhandled rejection)", async () => {
    expect(await within(failAfter(40, "too late to matter"), 5, "late")).toBe("late");
    await after(80, null); // vitest fails the run on an unhandled rejection
  });
});

describe("deadline", () => {
  it("passes the value through in time and rejects with the given error after", async () => {
    expect(await deadline(after(5, 7), 1000, () => new Error("slow"))).toBe(7);
    await expect(deadline(after(2000, 7), 20, () => new Error("no answer within 20 ms"))).rejects.toThrow("no answer within 20 ms");
  });

  it("passes a value that happens to be undefined through", async () => {
    expect(await deadline(after(5, undefined), 1000, () => new Error("slow"))).toBeUndefined();
  });
});
