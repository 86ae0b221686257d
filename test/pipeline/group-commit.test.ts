/**
 * GroupCommit (group commit per key), without services: the flush function is a
 * fake whose every call hands back a deferred the test settles, so which
 * calls end up in which batch is decided by the test, not by timing.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { GroupCommit } from "../../src/lib/group-commit";
import { rng } from "../helpers/util";

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (err: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Let every pending promise continuation run (setImmediate fires after the microtask queue is empty). */
function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

interface Flush<K, I, O> {
  key: K;
  items: I[];
  done: Deferred<(O | Error)[]>;
}

/** A flush that records each call and waits for the test; tracks concurrent flushes per key. */
function fakeFlush<K, I, O>() {
  const calls: Flush<K, I, O>[] = [];
  const active = new Map<K, number>();
  const maxActive = new Map<K, number>();
  let maxTotal = 0;
  const flush = async (key: K, items: I[]): Promise<(O | Error)[]> => {
    const n = (active.get(key) ?? 0) + 1;
    active.set(key, n);
    maxActive.set(key, Math.max(maxActive.get(key) ?? 0, n));
    maxTotal = Math.max(maxTotal, [...active.values()].reduce((a, b) => a + b, 0));
    const done = deferred<(O | Error)[]>();
    calls.push({ key, items: [...items], done });
    try {
      return await done.promise;
    } finally {
      active.set(key, active.get(key)! - 1);
    }
  };
  return { flush, calls, maxActive, maxTotal: () => maxTotal };
}

/** Where a promise stands, without waiting for it. */
function track<T>(p: Promise<T>): { state: "pending" | "fulfilled" | "rejected"; value?: T; reason?: unknown } {
  const t: { state: "pending" | "fulfilled" | "rejected"; value?: T; reason?: unknown } = { state: "pending" };
  p.then((v) => {
    t.state = "fulfilled";
    t.value = v;
  }, (e: unknown) => {
    t.state = "rejected";
    t.reason = e;
  });
  return t;
}

describe("GroupCommit", () => {
  it("runs the first call alone, at once (flush is called before run returns)", async () => {
    const f = fakeFlush<string, number, string>();
    const b = new GroupCommit(f.flush);
    const p = track(b.run("k", 1));
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0]).toMatchObject({ key: "k", items: [1] });
    await settle();
    expect(p.state).toBe("pending");
    f.calls[0]!.done.resolve(["one"]);
    await settle();
    expect(p).toEqual({ state: "fulfilled", value: "one" });
    expect(f.calls).toHaveLength(1);
  });

  it("flushes the calls that arrive while a flush is in flight together, in call order, as the next batch", async () => {
    const f = fakeFlush<string, number, string>();
    const b = new GroupCommit(f.flush);
    const first = track(b.run("k", 1));
    const later = [2, 3, 4, 5].map((i) => track(b.run("k", i)));
    await settle();
    expect(f.calls).toHaveLength(1); // still only the first, alone

    f.calls[0]!.done.resolve(["r1"]);
    await settle();
    expect(first).toEqual({ state: "fulfilled", value: "r1" });
    expect(f.calls).toHaveLength(2);
    expect(f.calls[1]).toMatchObject({ key: "k", items: [2, 3, 4, 5] });
    for (const p of later) expect(p.state).toBe("pending");

    // A call made while the second batch is in flight waits for the third.
    const last = track(b.run("k", 6));
    await settle();
    expect(f.calls).toHaveLength(2);

    f.calls[1]!.done.resolve(["r2", "r3", "r4", "r5"]);
    await settle();
    expect(later.map((p) => p.value)).toEqual(["r2", "r3", "r4", "r5"]);
    expect(f.calls[2]).toMatchObject({ key: "k", items: [6] });
    f.calls[2]!.done.resolve(["r6"]);
    await settle();
    expect(last).toEqual({ state: "fulfilled", value: "r6" });
    expect(f.calls).toHaveLength(3);
  });

  it("after a quiet spell the next call runs at once again, alone", async () => {
    const f = fakeFlush<string, number, number>();
    const b = new GroupCommit(f.flush);
    const p1 = b.run("k", 1);
    f.calls[0]!.done.resolve([10]);
    expect(await p1).toBe(10);
    await settle();
    const p2 = b.run("k", 2);
    expect(f.calls).toHaveLength(2);
    expect(f.calls[1]!.items).toEqual([2]);
    f.calls[1]!.done.resolve([20]);
    expect(await p2).toBe(20);
  });

  it("flushes different keys independently and concurrently", async () => {
    const f = fakeFlush<string, number, string>();
    const b = new GroupCommit(f.flush);
    const a1 = track(b.run("a", 1));
    const b1 = track(b.run("b", 1));
    const a2 = track(b.run("a", 2));
    // Both keys are in flight at the same time; a's second call waits only for a.
    expect(f.calls.map((c) => [c.key, c.items])).toEqual([["a", [1]], ["b", [1]]]);
    expect(f.maxTotal()).toBe(2);

    f.calls[1]!.done.resolve(["b1"]); // b finishes first
    await settle();
    expect(b1).toEqual({ state: "fulfilled", value: "b1" });
    expect(a1.state).toBe("pending");
    expect(f.calls).toHaveLength(2);

    const b2 = track(b.run("b", 2)); // b is idle again: runs at once though a is busy
    expect(f.calls.map((c) => [c.key, c.items])).toEqual([["a", [1]], ["b", [1]], ["b", [2]]]);

    f.calls[0]!.done.resolve(["a1"]);
    await settle();
    expect(a1).toEqual({ state: "fulfilled", value: "a1" });
    expect(f.calls[3]).toMatchObject({ key: "a", items: [2] });
    f.calls[3]!.done.resolve(["a2"]);
    f.calls[2]!.done.resolve(["b2"]);
    await settle();
    expect([a2.value, b2.value]).toEqual(["a2", "b2"]);
  });

  it("never overlaps two batches of one key; every call gets its own outcome (seeded random interleaving)", async () => {
    const f = fakeFlush<number, number, string>();
    const b = new GroupCommit(f.flush, { maxBatch: 7 });
    const next = rng(424242);
    const keys = 5;
    const results: { key: number; item: number; t: ReturnType<typeof track<string>> }[] = [];
    const finished = new Set<Flush<number, number, string>>();
    const finish = (c: Flush<number, number, string>) => {
      finished.add(c);
      c.done.resolve(c.items.map((x) => `${c.key}:${x}`));
    };
    const open = () => f.calls.filter((c) => !finished.has(c));
    let item = 0;
    for (let step = 0; step < 400; step++) {
      if (next() < 0.6) {
        const key = Math.floor(next() * keys);
        const i = item++;
        results.push({ key, item: i, t: track(b.run(key, i)) });
      } else {
        const o = open();
        if (o.length > 0) finish(o[Math.floor(next() * o.length)]!);
      }
      if (next() < 0.3) await settle();
    }
    // Finish whatever is left, batch by batch.
    for (;;) {
      await settle();
      const o = open();
      if (o.length === 0) break;
      o.forEach(finish);
    }

    for (const [key, max] of f.maxActive) expect(max, `key ${key}`).toBe(1);
    expect(f.maxTotal()).toBeGreaterThan(1); // keys did run side by side
    for (const r of results) expect(r.t, `item ${r.item}`).toEqual({ state: "fulfilled", value: `${r.key}:${r.item}` });
    // Each item flushed exactly once, under its key, in call order per key, in batches of at most 7.
    for (let k = 0; k < keys; k++) {
      const flushed = f.calls.filter((c) => c.key === k).flatMap((c) => c.items);
      expect(flushed).toEqual(results.filter((r) => r.key === k).map((r) => r.item));
    }
    for (const c of f.calls) expect(c.items.length).toBeLessThanOrEqual(7);
    expect(f.calls.some((c) => c.items.length > 1)).toBe(true);
  });

  it("splits a long wait into batches of at most maxBatch, one after the other", async () => {
    const f = fakeFlush<string, number, number>();
    const b = new GroupCommit(f.flush, { maxBatch: 3 });
    const ps = Array.from({ length: 9 }, (_, i) => track(b.run("k", i)));
    expect(f.calls.map((c) => c.items)).toEqual([[0]]);
    const expected = [[0], [1, 2, 3], [4, 5, 6], [7, 8]];
    for (let n = 0; n < expected.length; n++) {
      expect(f.calls).toHaveLength(n + 1); // the next batch starts only when this one is done
      expect(f.calls[n]!.items).toEqual(expected[n]);
      f.calls[n]!.done.resolve(expected[n]!.map((x) => x * 10));
      await settle();
    }
    expect(f.calls).toHaveLength(4);
    expect(ps.map((p) => p.value)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
  });

  it("refuses a batch size that is not a whole number ≥ 1 (it would flush empty batches forever)", () => {
    const f = fakeFlush<string, number, number>();
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new GroupCommit(f.flush, { maxBatch: bad }), String(bad)).toThrow(RangeError);
  });

  it("rejects only the call whose outcome is an Error", async () => {
    const f = fakeFlush<string, number, string>();
    const b = new GroupCommit(f.flush);
    const p0 = track(b.run("k", 0));
    const ps = [1, 2, 3].map((i) => track(b.run("k", i)));
    f.calls[0]!.done.resolve(["ok0"]);
    await settle();
    const bad = new RangeError("item 2 refused");
    f.calls[1]!.done.resolve(["ok1", bad, "ok3"]);
    await settle();
    expect(p0).toEqual({ state: "fulfilled", value: "ok0" });
    expect(ps[0]).toEqual({ state: "fulfilled", value: "ok1" });
    expect(ps[1]).toEqual({ state: "rejected", reason: bad });
    expect(ps[2]).toEqual({ state: "fulfilled", value: "ok3" });
  });

  it("a flush that throws rejects every call of that batch with its error; later calls still work", async () => {
    const f = fakeFlush<string, number, string>();
    const b = new GroupCommit(f.flush);
    const p0 = track(b.run("k", 0));
    const batch = [1, 2, 3].map((i) => track(b.run("k", i)));
    f.calls[0]!.done.resolve(["ok0"]);
    await settle();
    const boom = new Error("database went away");
    const after = track(b.run("k", 4)); // waits for the batch that is about to fail
    f.calls[1]!.done.reject(boom);
    await settle();
    expect(p0).toEqual({ state: "fulfilled", value: "ok0" });
    for (const p of batch) expect(p).toEqual({ state: "rejected", reason: boom });
    expect(f.calls[2]!.items).toEqual([4]);
    f.calls[2]!.done.resolve(["ok4"]);
    await settle();
    expect(after).toEqual({ state: "fulfilled", value: "ok4" });

    // And once idle, a new call runs at once.
    const p5 = b.run("k", 5);
    expect(f.calls[3]!.items).toEqual([5]);
    f.calls[3]!.done.resolve(["ok5"]);
    expect(await p5).toBe("ok5");
  });

  it("a flush that throws synchronously (not an async function) is treated the same", async () => {
    let n = 0;
    const boom = new Error("sync throw");
    const b = new GroupCommit<string, number, number>((_k, items) => {
      if (n++ === 0) throw boom;
      return Promise.resolve(items.map((x) => x + 1));
    });
    const p1 = track(b.run("k", 1));
    await settle();
    expect(p1).toEqual({ state: "rejected", reason: boom });
    const p2 = track(b.run("k", 2));
    await settle();
    expect(p2).toEqual({ state: "fulfilled", value: 3 });
  });

  it("a flush returning the wrong number of outcomes rejects the whole batch; later calls still work", async () => {
    const f = fakeFlush<string, number, string>();
    const b = new GroupCommit(f.flush);
    const p0 = track(b.run("k", 0));
    const batch = [1, 2].map((i) => track(b.run("k", i)));
    f.calls[0]!.done.resolve([]); // too few for the first, single-item batch
    await settle();
    expect(p0.state).toBe("rejected");
    expect(String(p0.reason)).toMatch(/0 outcomes for 1 items/);

    f.calls[1]!.done.resolve(["a", "b", "c"]); // too many
    await settle();
    for (const p of batch) {
      expect(p.state).toBe("rejected");
      expect(String(p.reason)).toMatch(/3 outcomes for 2 items/);
    }
    expect(batch[0]!.reason).toBe(batch[1]!.reason);

    const later = track(b.run("k", 3));
    expect(f.calls[2]!.items).toEqual([3]);
    f.calls[2]!.done.resolve(["ok"]);
    await settle();
    expect(later).toEqual({ state: "fulfilled", value: "ok" });
  });

  it("an outcome that is a falsy value (null, 0, '') still resolves its call", async () => {
    const f = fakeFlush<string, number, number | string | null>();
    const b = new GroupCommit(f.flush);
    const p0 = track(b.run("k", 0));
    const ps = [1, 2, 3].map((i) => track(b.run("k", i)));
    f.calls[0]!.done.resolve([null]);
    await settle();
    f.calls[1]!.done.resolve([0, "", null]);
    await settle();
    expect(p0).toEqual({ state: "fulfilled", value: null });
    expect(ps.map((p) => [p.state, p.value])).toEqual([["fulfilled", 0], ["fulfilled", ""], ["fulfilled", null]]);
  });

  describe("lingerMs", () => {
    afterEach(() => vi.useRealTimers());

    it("holds a batch that is not full until its oldest call is lingerMs old, then flushes everything that came", async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
      const f = fakeFlush<string, number, number>();
      const b = new GroupCommit(f.flush, { lingerMs: 5 });
      const ps = [track(b.run("k", 1))];
      expect(f.calls).toHaveLength(0); // lingering, not flushed at once
      vi.advanceTimersByTime(3);
      ps.push(track(b.run("k", 2)));
      expect(f.calls).toHaveLength(0);
      vi.advanceTimersByTime(1);
      expect(f.calls).toHaveLength(0);
      vi.advanceTimersByTime(1); // the first call is now 5 ms old
      expect(f.calls.map((c) => c.items)).toEqual([[1, 2]]);
      f.calls[0]!.done.resolve([10, 20]);
      await vi.runAllTimersAsync();
      expect(ps.map((p) => p.value)).toEqual([10, 20]);
    });

    it("a full batch does not linger", () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
      const f = fakeFlush<string, number, number>();
      const b = new GroupCommit(f.flush, { lingerMs: 1000, maxBatch: 3 });
      for (const i of [1, 2]) void b.run("k", i);
      expect(f.calls).toHaveLength(0);
      void b.run("k", 3);
      expect(f.calls.map((c) => c.items)).toEqual([[1, 2, 3]]);
      vi.advanceTimersByTime(1000); // the cleared timer flushes nothing more
      expect(f.calls).toHaveLength(1);
    });

    it("calls that waited for a batch in flight past their linger go as soon as it is done", async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
      const f = fakeFlush<string, number, number>();
      const b = new GroupCommit(f.flush, { lingerMs: 5 });
      void b.run("k", 1);
      vi.advanceTimersByTime(5);
      expect(f.calls).toHaveLength(1);
      const p2 = track(b.run("k", 2));
      vi.advanceTimersByTime(20); // the first batch is slow
      expect(f.calls).toHaveLength(1); // never two batches of a key at once
      f.calls[0]!.done.resolve([1]);
      await Promise.resolve();
      await Promise.resolve();
      await Promise.resolve();
      expect(f.calls.map((c) => c.items)).toEqual([[1], [2]]); // no second linger
      f.calls[1]!.done.resolve([2]);
      await vi.runAllTimersAsync();
      expect(p2.value).toBe(2);
    });

    it("refuses a negative or non-finite linger", () => {
      const f = fakeFlush<string, number, number>();
      for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => new GroupCommit(f.flush, { lingerMs: bad }), String(bad)).toThrow(RangeError);
      }
    });
  });
});
