/**
 * Outputs of jobs that ended without succeeding (failed, cancelled, timed
 * out) are never visible (src/files/store.ts, OUTPUT_VISIBLE); this task
 * removes their rows and bytes. Most are removed by the file kind itself when
 * it sees the abort; this catches the rest (a cancel that lands after the
 * output was written, a settlement that ended in a refund).
 */
import type { AppContext } from "../context";
import type { ScheduledTask } from "../lib/scheduled-task";
import { fileStore } from "./service";

export function pruneJobOutputsTask(): ScheduledTask {
  return {
    name: "prune-job-outputs",
    everyMs: 60_000,
    async run(ctx: AppContext) {
      let removed = 0;
      // Pages of 500 until none are left, so a backlog does not wait for later rounds.
      for (let n = await fileStore(ctx).pruneUnsucceededOutputs(); n > 0; n = await fileStore(ctx).pruneUnsucceededOutputs()) removed += n;
      return { removed };
    },
  };
}
