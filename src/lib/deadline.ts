/**
 * Waiting on something for a bounded time, written once: the shutdowns
 * (close a server or a worker, then force it), the hand-offs the API drains,
 * the probes and queue calls that must answer while a dependency is down.
 * The promise itself is left to finish or fail (a failure after the time is
 * nobody's business), and the timer never holds the process open.
 */

/** `p`'s value, or `late` if `p` has not settled within `ms`. A rejection within `ms` rejects. */
export async function within<T, L>(p: Promise<T>, ms: number, late: L): Promise<T | L> {
  p.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<L>((resolve) => {
    timer = setTimeout(() => resolve(late), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `p`, or a rejection with `error()` if it has not settled within `ms`. */
export async function deadline<T>(p: Promise<T>, ms: number, error: () => Error): Promise<T> {
  const late = Symbol("late");
  const out = await within(p, ms, late);
  if (out === late) throw error();
  return out as T;
}
