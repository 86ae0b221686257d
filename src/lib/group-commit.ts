/**
 * Group commit for one key: the first call runs at once, alone (unless the
 * batcher lingers, see lingerMs); calls that arrive while it is in flight
 * wait and then run together as the next batch, so a quiet system pays no
 * extra latency and a busy one sends one statement (one round trip, one
 * commit, one row lock) for many calls. Batches for a key never overlap,
 * which also keeps one process from queuing many sessions on the same hot
 * row.
 *
 * `flush` gets the items in call order and returns one outcome per item, in
 * the same order: a value, or an Error that rejects only that item's call. If
 * `flush` itself throws, every call of that batch rejects with the error.
 */
export class GroupCommit<K, I, O> {
  private readonly waiting = new Map<K, Entry<I, O>[]>();
  private readonly busy = new Set<K>();
  private readonly timers = new Map<K, NodeJS.Timeout>();
  private readonly maxBatch: number;
  private readonly lingerMs: number;

  constructor(
    private readonly flush: (key: K, items: I[]) => Promise<(O | Error)[]>,
    opts: GroupCommitOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 100;
    this.lingerMs = opts.lingerMs ?? 0;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new RangeError(`maxBatch must be a whole number ≥ 1, got ${this.maxBatch}`);
    if (!Number.isFinite(this.lingerMs) || this.lingerMs < 0) throw new RangeError(`lingerMs must be ≥ 0, got ${this.lingerMs}`);
  }

  run(key: K, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const entry: Entry<I, O> = { item, resolve, reject, at: this.lingerMs > 0 ? performance.now() : 0 };
      const entries = this.waiting.get(key);
      if (entries) entries.push(entry);
      else this.waiting.set(key, [entry]);
      this.drain(key);
    });
  }

  /** Start the next batch of `key` unless one is in flight, none waits, or (lingering) it is neither full nor old enough. */
  private drain(key: K): void {
    const all = this.waiting.get(key);
    if (this.busy.has(key) || !all || all.length === 0) return;
    if (all.length < this.maxBatch) {
      const wait = this.lingerMs - (performance.now() - all[0]!.at);
      if (this.timers.has(key)) return;
      if (wait > 0) {
        this.timers.set(key, setTimeout(() => {
          this.timers.delete(key);
          this.drain(key);
        }, wait));
        return;
      }
    } else {
      clearTimeout(this.timers.get(key));
      this.timers.delete(key);
    }
    const batch = all.splice(0, this.maxBatch);
    if (all.length === 0) this.waiting.delete(key);
    this.busy.add(key);
    void this.runBatch(key, batch).finally(() => {
      this.busy.delete(key);
      this.drain(key);
    });
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

export interface GroupCommitOptions {
  /** Most calls per batch (default 100). */
  maxBatch?: number;
  /**
   * A batch that is not full starts no sooner than this many ms after its
   * oldest call arrived (default 0): at moderate load, fewer and fuller
   * batches for a little latency. Meant for work nobody waits on.
   */
  lingerMs?: number;
}

interface Entry<I, O> {
  /** When the call arrived (performance.now(); 0 when not lingering). */
  at: number;
  item: I;
  resolve: (o: O) => void;
  reject: (err: unknown) => void;
}
