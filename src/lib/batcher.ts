/**
 * Group commit for one key: the first call runs at once, alone; calls that
 * arrive while it is in flight wait and then run together as the next batch,
 * so a quiet system pays no extra latency and a busy one sends one statement
 * (one round trip, one commit, one row lock) for many calls. Batches for a
 * key never overlap, which also keeps one process from queuing many sessions
 * on the same hot row.
 *
 * `flush` gets the items in call order and returns one outcome per item, in
 * the same order: a value, or an Error that rejects only that item's call. If
 * `flush` itself throws, every call of that batch rejects with the error.
 */
export class Batcher<K, I, O> {
  private readonly waiting = new Map<K, Entry<I, O>[]>();
  private readonly busy = new Set<K>();

  constructor(
    private readonly flush: (key: K, items: I[]) => Promise<(O | Error)[]>,
    private readonly maxBatch = 100,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a whole number ≥ 1, got ${maxBatch}`);
  }

  run(key: K, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const entries = this.waiting.get(key);
      if (entries) entries.push({ item, resolve, reject });
      else this.waiting.set(key, [{ item, resolve, reject }]);
      if (!this.busy.has(key)) void this.drain(key);
    });
  }

  private async drain(key: K): Promise<void> {
    this.busy.add(key);
    try {
      for (;;) {
        const all = this.waiting.get(key);
        if (!all || all.length === 0) break;
        const batch = all.splice(0, this.maxBatch);
        if (all.length === 0) this.waiting.delete(key);
        await this.runBatch(key, batch);
      }
    } finally {
      this.busy.delete(key);
      this.waiting.delete(key);
    }
  }

  private async runBatch(key: K, batch: Entry<I, O>[]): Promise<void> {
    let outcomes: (O | Error)[];
    try {
      outcomes = await this.flush(key, batch.map((e) => e.item));
      if (outcomes.length !== batch.length) throw new Error(`batch flush returned ${outcomes.length} outcomes for ${batch.length} items`);
    } catch (err) {
      for (const e of batch) e.reject(err);
      return;
    }
    batch.forEach((e, i) => {
      const o = outcomes[i]!;
      if (o instanceof Error) e.reject(o);
      else e.resolve(o);
    });
  }
}

interface Entry<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (err: unknown) => void;
}
