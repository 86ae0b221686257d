/**
 * WORKER_NICE: a process that runs only workers lowers its CPU priority —
 * every thread of it (libuv and V8 start theirs before our code runs) — so
 * on a shared machine the API answers first; 0 leaves it alone. (That a
 * process running the API as well is not lowered is checked in
 * processes.test.ts, on the real `npm start` entry point.)
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { pipelineKinds } from "../fixtures/kinds";
import { spawnWorker, stopWorker } from "../fixtures/spawn";
import { threadNices } from "../helpers/util";
import { type Platform, startPlatform } from "../helpers/platform";

let p: Platform;

beforeAll(async () => {
  p = await startPlatform({ kinds: pipelineKinds(), worker: false });
});
afterAll(async () => {
  await p?.close();
});

it.each([
  ["by default", {}, 10],
  ["as WORKER_NICE says", { WORKER_NICE: "17" }, 17],
  ["not at all with WORKER_NICE=0", { WORKER_NICE: "0" }, 0],
])("a worker process lowers the priority of all its threads %s", async (_what, env: Record<string, string>, expected) => {
  const w = spawnWorker(p, env);
  try {
    await w.ready;
    const nices = threadNices(w.pid);
    expect(nices.length).toBeGreaterThan(1); // the main thread and libuv's / V8's
    expect(new Set(nices)).toEqual(new Set([expected]));
  } finally {
    await stopWorker(w, "SIGTERM");
  }
});
