/**
 * A periodic task of the scheduler process. Each runs as a BullMQ job
 * scheduler registered only by the scheduler, and must be safe to run twice
 * and after downtime (it looks at the database, not at what it did last).
 */
import type { AppContext } from "../context";

export interface ScheduledTask {
  /** Stable name: the job scheduler id. */
  name: string;
  /** Period in ms. */
  everyMs: number;
  /**
   * Do one round as of `now` (ctx.clock in production; tests pass any time).
   * Returns a summary for logs, e.g. `{ relayed: 3 }` (any object: interfaces too);
   * a round whose summary has a number above 0 is logged at info, others at debug.
   */
  run(ctx: AppContext, now: Date): Promise<object | void>;
}
