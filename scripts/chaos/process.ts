/**
 * One Holdfast role for the chaos run (scripts/chaos/run.ts), as its own
 * process: the production entry (runProcess, signals, waiting for its
 * dependencies, migrations) and the production kinds, plus one kind the
 * client can steer, `chaos` (sleeps `ms`, costs `cost`, uses `use`, or fails
 * as the user's fault). Configured by the environment like production.
 *
 *   node --import tsx scripts/chaos/process.ts api|worker|scheduler
 *
 * The scheduler runs every production task, but the job pipeline's safety
 * nets tick faster (CHAOS_TICK_MS, default 2000) and look at jobs sooner, so
 * what a crash loses is recovered within a short run instead of minutes later.
 * They are the same functions with other periods.
 */
import { z } from "zod";
import { builtinKinds } from "../../src/jobs/builtin";
import type { JobKind } from "../../src/jobs/kind";
import { UserError } from "../../src/jobs/run-errors";
import { holdReaperTask } from "../../src/jobs/tasks/hold-reaper";
import { outboxRelayTask } from "../../src/jobs/tasks/outbox-relay";
import { reconcileQueueTask } from "../../src/jobs/tasks/reconcile-queue";
import type { RoleStarter } from "../../src/processes/run";
import { runProcess } from "../../src/processes/run";
import { startScheduler } from "../../src/workers/scheduler";
import { allTasks } from "../../src/workers/task-list";

export type ChaosInput = { cost: number; use?: number; ms?: number; fail?: "user" };

export const chaosKind: JobKind<ChaosInput, { slept_ms: number }> = {
  name: "chaos",
  description: "Sleeps `ms`, costs `cost`, uses `use` (default: all); `fail: \"user\"` fails as the user's fault. Chaos runs only.",
  input: z.object({
    cost: z.number().int().positive().max(1000),
    use: z.number().int().nonnegative().optional(),
    ms: z.number().int().nonnegative().max(60_000).optional(),
    fail: z.enum(["user"]).optional(),
  }).strict(),
  estimate: (i) => ({ credits: i.cost, breakdown: [{ item: "chaos run", credits: i.cost }] }),
  timeoutMs: (i) => (i.ms ?? 0) + 5_000,
  onUserFailure: "measured",
  async run(i, rc) {
    const steps = 4;
    for (let s = 1; s <= steps && (i.ms ?? 0) > 0; s++) {
      await new Promise((r) => setTimeout(r, (i.ms ?? 0) / steps));
      if (rc.signal.aborted) throw rc.signal.reason;
      rc.progress((s / steps) * 100);
    }
    if (i.fail === "user") throw new UserError("failed on purpose (the user's fault)", { usage: Math.min(1, i.cost) });
    return { result: { slept_ms: i.ms ?? 0 }, usage: Math.min(i.use ?? i.cost, i.cost) };
  },
};

const tickMs = Number(process.env.CHAOS_TICK_MS ?? 2000);

const fastScheduler: RoleStarter = {
  name: "scheduler",
  poolSize: () => 3,
  async start(ctx) {
    const fast = new Map([
      ["outbox-relay", outboxRelayTask({ everyMs: tickMs, afterMs: 2 * tickMs })],
      ["reconcile-queue", reconcileQueueTask({ everyMs: tickMs, staleMs: 5 * tickMs })],
      ["hold-reaper", holdReaperTask({ everyMs: tickMs })],
    ]);
    const s = await startScheduler(ctx, allTasks().map((t) => fast.get(t.name) ?? t));
    await s.worker.waitUntilReady();
    return { name: "scheduler", close: (timeoutMs) => s.close(timeoutMs) };
  },
};

const role = process.argv[2];
const starters: Record<string, () => RoleStarter> = {
  api: () => (require("../../src/processes/roles/api-role") as typeof import("../../src/processes/roles/api-role")).apiRole,
  worker: () => (require("../../src/processes/roles/worker-role") as typeof import("../../src/processes/roles/worker-role")).workerRole,
  scheduler: () => fastScheduler,
};
if (!role || !starters[role]) {
  console.error("usage: node --import tsx scripts/chaos/process.ts api|worker|scheduler");
  process.exit(2);
}
runProcess(`chaos-${role}`, [starters[role]()], { kinds: (config) => builtinKinds(config).register(chaosKind) });
