/**
 * The scheduler registers one BullMQ job scheduler per task (and drops those
 * of tasks that no longer exist), and its worker runs each task by name with
 * the context's clock.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { ManualClock } from "../../src/clock";
import { type Scheduler, startScheduler } from "../../src/workers/scheduler";
import { allTasks } from "../../src/workers/task-list";
import type { ScheduledTask } from "../../src/lib/scheduled-task";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";

let p: Platform;
let s: Scheduler | null = null;
const clock = new ManualClock(new Date("2030-01-02T03:04:05Z"));

beforeAll(async () => {
  p = await startPlatform({ worker: false, clock });
});
afterEach(async () => {
  await s?.close(2000);
  s = null;
  for (const j of await p.ctx.queues.maintenance.getJobSchedulers()) await p.ctx.queues.maintenance.removeJobScheduler(j.key);
});
afterAll(async () => {
  await p?.close();
});

it("registers a job scheduler for every task of allTasks(), with its period", async () => {
  const tasks = allTasks();
  expect(tasks.map((t) => t.name)).toEqual(expect.arrayContaining(["outbox-relay", "reconcile-queue", "hold-reaper"]));
  s = await startScheduler(p.ctx, tasks);
  const registered = await p.ctx.queues.maintenance.getJobSchedulers();
  expect(registered.map((r) => [r.key, r.every]).sort()).toEqual(tasks.map((t) => [t.name, t.everyMs]).sort());
  // Starting again (a restart) upserts: still one scheduler per task.
  await s.close(2000);
  s = await startScheduler(p.ctx, tasks);
  expect(await p.ctx.queues.maintenance.getJobSchedulersCount()).toBe(tasks.length);
});

it("runs each task by name with the clock's time, and removes schedulers of tasks that are gone", async () => {
  const calls: { name: string; now: Date }[] = [];
  const task = (name: string): ScheduledTask => ({
    name, everyMs: 1000, run: async (_ctx, now) => {
      calls.push({ name, now });
      return { touched: 0 };
    },
  });
  await p.ctx.queues.maintenance.upsertJobScheduler("retired-task", { every: 60_000 }, { name: "retired-task" });

  s = await startScheduler(p.ctx, [task("a"), task("b")]);
  expect((await p.ctx.queues.maintenance.getJobSchedulers()).map((r) => r.key).sort()).toEqual(["a", "b"]);
  await waitFor(async () => calls.some((c) => c.name === "a") && calls.some((c) => c.name === "b"), { timeoutMs: 10_000, what: "both tasks ran" });
  expect(calls.every((c) => c.now.getTime() === clock.now().getTime())).toBe(true);
});

it("registers its job schedulers again when Redis loses them while it runs (a restart without data)", async () => {
  const calls: string[] = [];
  const task = (name: string): ScheduledTask => ({ name, everyMs: 1000, run: async () => void calls.push(name) });
  s = await startScheduler(p.ctx, [task("x"), task("y")], { watchEveryMs: 200 });
  // What an empty Redis looks like to the scheduler: none of its schedulers, no pending tick.
  for (const j of await p.ctx.queues.maintenance.getJobSchedulers()) await p.ctx.queues.maintenance.removeJobScheduler(j.key);
  await p.ctx.queues.maintenance.drain(true);
  expect(await p.ctx.queues.maintenance.getJobSchedulersCount()).toBe(0);
  calls.length = 0;
  await waitFor(async () => (await p.ctx.queues.maintenance.getJobSchedulersCount()) === 2, { timeoutMs: 5000, what: "schedulers registered again" });
  expect((await p.ctx.queues.maintenance.getJobSchedulers()).map((r) => [r.key, r.every]).sort()).toEqual([["x", 1000], ["y", 1000]]);
  // And the tasks tick again.
  await waitFor(async () => calls.includes("x") && calls.includes("y"), { timeoutMs: 10_000, what: "both tasks ran again" });
});

it("refuses a task list with a duplicate name or a period under a second", async () => {
  const t: ScheduledTask = { name: "x", everyMs: 1000, run: async () => undefined };
  await expect(startScheduler(p.ctx, [t, t])).rejects.toThrow(/listed twice/);
  await expect(startScheduler(p.ctx, [{ ...t, everyMs: 10 }])).rejects.toThrow(/minimum is 1000/);
});
