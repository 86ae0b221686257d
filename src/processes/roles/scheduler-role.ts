/** The scheduler role: periodic safety nets; run exactly one per deployment. */
import { startScheduler } from "../../workers/scheduler";
import { allTasks } from "../../workers/task-list";
import type { RoleStarter } from "../run";

export const schedulerRole: RoleStarter = {
  name: "scheduler",
  // Tasks run one at a time.
  poolSize: () => 3,
  async start(ctx) {
    const s = await startScheduler(ctx, allTasks());
    await s.worker.waitUntilReady();
    return { name: "scheduler", close: (timeoutMs) => s.close(timeoutMs) };
  },
};
