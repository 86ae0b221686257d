/**
 * Scripts die with their worker. A worker process is SIGKILLed while a long
 * script (which started a grandchild of its own) runs: the script dies at once
 * (the kernel's parent-death signal), and the next worker that starts kills
 * what is left of its process group and removes its working directory.
 * Each worker here gets its own TMPDIR, so only this file's runs are in play.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { reapOrphanedScripts, ScriptRun } from "../../src/jobs/kinds/script/orphans";
import { scriptTestKinds } from "../fixtures/script-kinds";
import { spawnHoldfast, stopWorker, type WorkerProcess } from "../fixtures/spawn";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";

let p: Platform;
let scratch: string;
const workers: WorkerProcess[] = [];
const strays: number[] = [];
const logger = pino({ level: "silent" });

beforeAll(async () => {
  // No worker in the test process: only the spawned processes run scripts.
  p = await startPlatform({ kinds: scriptTestKinds(), worker: false });
  scratch = await mkdtemp(path.join(tmpdir(), "holdfast-orphans-test-"));
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
});
afterAll(async () => {
  // Whatever a failed assertion left running.
  for (const pid of strays) if (alive(pid)) process.kill(pid, "SIGKILL");
  await p?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function scriptWorker(tmp: string): WorkerProcess {
  const w = spawnHoldfast(path.resolve(__dirname, "../fixtures/script-worker-process.ts"), "script-worker", {
    DATABASE_URL: p.db.url, REDIS_URL: p.ctx.config.REDIS_URL, QUEUE_PREFIX: p.ctx.config.QUEUE_PREFIX, TMPDIR: tmp,
    // The killed worker's job is failed and refunded when its lock runs out, not run again.
    WORKER_LOCK_DURATION_MS: "2000", WORKER_STALLED_INTERVAL_MS: "1000", WORKER_MAX_STALLED_COUNT: "0",
  });
  workers.push(w);
  return w;
}

it("a script dies with its SIGKILLed worker; the next worker kills its leftovers and removes its directory", async () => {
  const tmp = await mkdtemp(path.join(scratch, "tmp-"));
  const pidFile = path.join(scratch, "orphan.json");
  const u = await p.user({ credits: 50 });
  const a = scriptWorker(tmp);
  await a.ready;
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "script", input: { script: "orphan-maker", parameters: { pidFile } } });
  expect(sub.status).toBe(202);
  const pids = await waitFor(async () => (existsSync(pidFile) ? (JSON.parse(await readFile(pidFile, "utf8")) as { script: number; grandchild: number; cwd: string }) : null), {
    what: "the script to start",
  });
  strays.push(pids.script, pids.grandchild);
  expect(path.dirname(pids.cwd)).toBe(tmp);
  expect(alive(pids.script) && alive(pids.grandchild)).toBe(true);
  expect(await readdir(path.join(tmp, "holdfast-script-runs"))).toHaveLength(1);

  await stopWorker(a, "SIGKILL");
  // The script itself: the kernel's parent-death signal, within moments.
  await waitFor(async () => !alive(pids.script), { timeoutMs: 3000, what: "the script to die with its worker" });
  expect(existsSync(pids.cwd)).toBe(true); // nobody has cleaned up yet

  // The next worker to start reaps the rest: the grandchild in the script's group, the directory, the record.
  const b = scriptWorker(tmp);
  await b.ready;
  await waitFor(async () => !alive(pids.grandchild), { timeoutMs: 3000, what: "the grandchild to be killed" });
  expect(existsSync(pids.cwd)).toBe(false);
  expect(await readdir(path.join(tmp, "holdfast-script-runs"))).toEqual([]);
  expect(b.output()).toContain("reaped a script run of a dead worker");
});

describe("reapOrphanedScripts", () => {
  it("leaves live workers' runs alone and removes dead workers' directories, recorded or not", async () => {
    const tmp = await mkdtemp(path.join(scratch, "tmp-"));
    const mine = await ScriptRun.create(tmp); // this process: alive
    const deadPid = await exitedPid();
    const unrecorded = path.join(tmp, `holdfast-script-${deadPid}-abc123`);
    await mkdir(unrecorded);
    await writeFile(path.join(unrecorded, "left-over"), "x");
    const other = path.join(tmp, "not-ours");
    await mkdir(other);

    const summary = await reapOrphanedScripts(logger, tmp);
    expect(summary).toEqual({ runs: 1, killed: 0 });
    expect(existsSync(mine.workdir)).toBe(true);
    expect(existsSync(unrecorded)).toBe(false);
    expect(existsSync(other)).toBe(true);
    await mine.release();
    expect(await readdir(tmp)).toEqual(["holdfast-script-runs", "not-ours"]);
  });

  it("never kills a process group that is not the dead run's (a reused pid), but still clears the record", async () => {
    const tmp = await mkdtemp(path.join(scratch, "tmp-"));
    const deadPid = await exitedPid();
    // A process group that happens to have the recorded pgid, but is somebody else's (no run marker).
    const bystander = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { detached: true, stdio: "ignore", env: { PATH: process.env.PATH, HOME: "/" } });
    strays.push(bystander.pid!);
    const workdir = path.join(tmp, `holdfast-script-${deadPid}-xyz789`);
    await mkdir(workdir);
    await mkdir(path.join(tmp, "holdfast-script-runs"));
    await writeFile(
      path.join(tmp, "holdfast-script-runs", `${path.basename(workdir)}.json`),
      JSON.stringify({ owner: deadPid, ownerStart: null, pgid: bystander.pid, workdir }),
    );

    const summary = await reapOrphanedScripts(logger, tmp);
    expect(summary).toEqual({ runs: 1, killed: 0 });
    expect(alive(bystander.pid!)).toBe(true);
    expect(existsSync(workdir)).toBe(false);
    expect(await readdir(path.join(tmp, "holdfast-script-runs"))).toEqual([]);
    bystander.kill("SIGKILL");
  });
});

/** The pid of a process that has already exited (a dead owner). */
async function exitedPid(): Promise<number> {
  const c = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => c.once("exit", r));
  return c.pid!;
}
