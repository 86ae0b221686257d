/**
 * Scripts must not outlive their worker. While a worker lives, its timer and
 * abort signal kill a script's process group and remove its working
 * directory. A worker that is SIGKILLed runs no cleanup, so:
 *
 * - the script itself gets SIGKILL from the kernel when the worker dies
 *   (PR_SET_PDEATHSIG, set by `setpriv --pdeathsig`; see ./sandbox.ts);
 * - every run leaves a record (owner pid and start time, process group,
 *   working directory) in `<tmp>/holdfast-script-runs/`, removed when the run
 *   ends. A worker that starts reaps the runs of dead owners: it kills what is
 *   left of their process groups (children the script started) and removes
 *   their working directories. Directories are named
 *   `holdfast-script-<owner pid>-…`, so one left before its record was written
 *   is found too.
 *
 * A pid can be reused, so nothing is killed on the pid alone: an owner counts
 * as dead only if no process with its pid and start time exists, and a process
 * group is killed only if one of its members still carries the run's marker
 * (HOME is the run's own working directory, in the scrubbed environment every
 * script starts with). Linux only (/proc); elsewhere directories are still swept.
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Logger } from "../../../logger";

const RUNS_DIR = "holdfast-script-runs";
const WORKDIR_PREFIX = "holdfast-script-";

interface RunRecord {
  owner: number;
  /** The owner's start time (clock ticks since boot, /proc/<pid>/stat field 22); null off Linux. */
  ownerStart: string | null;
  /** Process group of the script (its pid: spawned detached, it leads a new session). */
  pgid: number | null;
  workdir: string;
}

/** Start time of a process (field 22 of /proc/<pid>/stat), or null when unknown. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may contain spaces and parentheses.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Is the process that wrote a record still running (the same process, not a reuse of its pid)? */
function ownerAlive(owner: number, ownerStart: string | null): boolean {
  try {
    process.kill(owner, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  if (ownerStart === null) return true;
  const now = startTime(owner);
  return now === null ? true : now === ownerStart;
}

const OWN_START = startTime(process.pid);

/** One script run's working directory and its record; `release()` removes both. */
export class ScriptRun {
  private constructor(
    readonly workdir: string,
    private readonly recordFile: string,
    private readonly base: string,
  ) {}

  /** A fresh working directory under `base` (default: the OS temp dir), recorded as this process's. */
  static async create(base = tmpdir()): Promise<ScriptRun> {
    const workdir = await mkdtemp(path.join(base, `${WORKDIR_PREFIX}${process.pid}-`));
    const runs = path.join(base, RUNS_DIR);
    await mkdir(runs, { recursive: true });
    const run = new ScriptRun(workdir, path.join(runs, `${path.basename(workdir)}.json`), base);
    await run.write(null);
    return run;
  }

  /** Record the script's process group as soon as it is spawned. */
  async started(pgid: number): Promise<void> {
    await this.write(pgid);
  }

  /** After the process group is dead: remove the working directory, then the record. */
  async release(): Promise<void> {
    await rm(this.workdir, { recursive: true, force: true }).catch(() => undefined);
    await rm(this.recordFile, { force: true }).catch(() => undefined);
  }

  private async write(pgid: number | null): Promise<void> {
    const rec: RunRecord = { owner: process.pid, ownerStart: OWN_START, pgid, workdir: this.workdir };
    // Write then rename: a reaper never reads half a record.
    const tmp = path.join(this.base, RUNS_DIR, `.${path.basename(this.recordFile)}.${pgid ?? "new"}`);
    await writeFile(tmp, JSON.stringify(rec));
    await rename(tmp, this.recordFile);
  }
}

/** Pids in process group `pgid` (from /proc), or null when /proc is not there. */
function groupMembers(pgid: number): number[] | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  const members: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pgrp === pgid) members.push(Number(e));
    } catch {
      // Gone meanwhile.
    }
  }
  return members;
}

function carriesMarker(pid: number, workdir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`HOME=${workdir}`);
  } catch {
    return false;
  }
}

/** Kill what is left of a dead run's process group, if it is still that run's. Returns the pids it found. */
function killOrphanGroup(pgid: number, workdir: string): number[] {
  const members = groupMembers(pgid) ?? [];
  const ours = members.filter((pid) => carriesMarker(pid, workdir));
  if (ours.length === 0) return [];
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // ESRCH: died meanwhile.
  }
  return ours;
}

export interface ReapSummary {
  /** Runs of dead workers cleaned up (records and directories). */
  runs: number;
  /** Processes of those runs that were still alive and were killed. */
  killed: number;
}

/**
 * Clean up after workers that died without cleaning up: kill their scripts'
 * leftover process groups and remove their working directories and records.
 * Runs of live workers (this one included) are left alone. Safe to run at
 * any time and from several workers at once.
 */
export async function reapOrphanedScripts(logger: Logger, base = tmpdir()): Promise<ReapSummary> {
  const summary: ReapSummary = { runs: 0, killed: 0 };
  const runsDir = path.join(base, RUNS_DIR);
  const recorded = new Set<string>();
  for (const name of await readdir(runsDir).catch(() => [] as string[])) {
    if (!name.endsWith(".json") || name.startsWith(".")) continue;
    const file = path.join(runsDir, name);
    let rec: RunRecord;
    try {
      rec = JSON.parse(await readFile(file, "utf8")) as RunRecord;
    } catch {
      continue; // Removed meanwhile by its owner or another reaper.
    }
    recorded.add(path.basename(rec.workdir));
    if (ownerAlive(rec.owner, rec.ownerStart)) continue;
    const killed = rec.pgid ? killOrphanGroup(rec.pgid, rec.workdir) : [];
    // Only our own kind of directory, inside the base we were given.
    if (path.dirname(rec.workdir) === base && path.basename(rec.workdir).startsWith(WORKDIR_PREFIX)) {
      await rm(rec.workdir, { recursive: true, force: true }).catch(() => undefined);
    }
    await rm(file, { force: true }).catch(() => undefined);
    summary.runs++;
    summary.killed += killed.length;
    logger.warn({ owner: rec.owner, pgid: rec.pgid, killed, workdir: rec.workdir }, "reaped a script run of a dead worker");
  }
  // Directories whose owner died before it wrote the record.
  for (const name of await readdir(base).catch(() => [] as string[])) {
    const m = new RegExp(`^${WORKDIR_PREFIX}(\\d+)-`).exec(name);
    if (!m || recorded.has(name) || ownerAlive(Number(m[1]), null)) continue;
    await rm(path.join(base, name), { recursive: true, force: true }).catch(() => undefined);
    summary.runs++;
    logger.warn({ owner: Number(m[1]), workdir: path.join(base, name) }, "removed a script directory of a dead worker");
  }
  // Half-written records (a temp file whose rename never happened) of dead owners are harmless and tiny; left alone.
  return summary;
}
