/**
 * Running one registered script as a child process, safely:
 * - spawn with an argument array (never a shell): parameters go in as JSON on
 *   stdin, so `; rm -rf /` in a parameter is just text;
 * - a scrubbed environment (PATH, LANG, HOME and TMPDIR only — no database
 *   URL, no API keys) and a fresh working directory, removed afterwards;
 * - its own process group (detached), so a timeout or cancel kills the script
 *   and anything it started (kill(-pgid, SIGKILL));
 * - operating-system limits (./sandbox.ts): CPU seconds, writable memory, and
 *   death with its worker; a record of the run so a worker that starts after
 *   this one was SIGKILLed reaps what is left (./orphans.ts);
 * - a V8 heap limit, and stdout/stderr kept only up to a cap.
 */
import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";
import { SystemError } from "../../run-errors";
import { ScriptRun } from "./orphans";
import { CappedOutput, ProgressLineFilter } from "./output";
import { DEFAULT_SCRIPT_LIMITS, sandboxCommand, type ScriptLimits } from "./sandbox";

export interface RunScriptOptions {
  signal: AbortSignal;
  maxStdoutBytes: number;
  maxStderrBytes: number;
  maxMemoryMb: number;
  /** Operating-system limits per run (default DEFAULT_SCRIPT_LIMITS). */
  limits?: ScriptLimits;
  onProgress(percent: number): void;
}

export interface ScriptExit {
  /** null when the process ended by a signal. */
  exitCode: number | null;
  /** The signal that ended it, if any (when not ours: OOM killer, crash). */
  signal: NodeJS.Signals | null;
  stdout: CappedOutput;
  stderr: CappedOutput;
  durationMs: number;
}

/** After the script exits, how long to wait for its pipes to drain (ms). */
const DRAIN_MS = 2000;

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Run `file` with `params`. Resolves with how it exited; rejects with a
 * SystemError when it cannot start, or with the signal's reason when aborted
 * (after the process group is dead and the working directory removed).
 */
export async function runScript(file: string, params: unknown, opts: RunScriptOptions): Promise<ScriptExit> {
  try {
    await access(file, constants.R_OK);
  } catch (err) {
    throw new SystemError(`The script file ${path.basename(file)} is missing or unreadable on this worker.`, { cause: err });
  }
  const run = await ScriptRun.create();
  try {
    return await spawnAndWait(file, params, run, opts);
  } finally {
    // Every exit path kills the group first, so nothing writes here any more.
    await run.release();
  }
}

function spawnAndWait(file: string, params: unknown, run: ScriptRun, opts: RunScriptOptions): Promise<ScriptExit> {
  const workdir = run.workdir;
  return new Promise<ScriptExit>((resolve, reject) => {
    const started = Date.now();
    if (opts.signal.aborted) return reject(opts.signal.reason);
    const { command, args } = sandboxCommand([`--max-old-space-size=${opts.maxMemoryMb}`, file], opts.limits ?? DEFAULT_SCRIPT_LIMITS);
    const child = spawn(command, args, {
      cwd: workdir,
      env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", LANG: process.env.LANG ?? "C.UTF-8", HOME: workdir, TMPDIR: workdir },
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
      shell: false,
    });
    const stdout = new CappedOutput(opts.maxStdoutBytes);
    const stderr = new CappedOutput(opts.maxStderrBytes);
    const filter = new ProgressLineFilter((b) => stdout.push(b), opts.onProgress);
    child.stdout.on("data", (b: Buffer) => filter.push(b));
    child.stderr.on("data", (b: Buffer) => stderr.push(b));
    // A script that never reads stdin closes it early: EPIPE is not an error here.
    child.stdin.on("error", () => undefined);
    child.stdin.end(JSON.stringify(params ?? {}));
    // Recorded before anything else can happen to this worker: a worker that starts after it died
    // kills what is left of the group. A failed write only weakens that safety net.
    const recorded = child.pid ? run.started(child.pid).catch(() => undefined) : Promise.resolve();

    let done = false;
    const onAbort = () => killGroup(child.pid);
    opts.signal.addEventListener("abort", onAbort, { once: true });
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      opts.signal.removeEventListener("abort", onAbort);
      fn();
    };

    child.once("error", (err: NodeJS.ErrnoException) => {
      // Could not start (ENOENT, EAGAIN, ENOMEM …): the platform's fault.
      killGroup(child.pid);
      void recorded.then(() =>
        finish(() => reject(new SystemError(`The script could not be started: ${err.code ?? err.message}.`, { cause: err }))),
      );
    });
    child.once("exit", (code, signal) => {
      // Anything the script left running in its group goes with it.
      killGroup(child.pid);
      const drained = new Promise<void>((r) => {
        if (child.stdout.readableEnded && child.stderr.readableEnded) return r();
        child.once("close", () => r());
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          r();
        }, DRAIN_MS).unref();
      });
      void Promise.all([drained, recorded]).then(() =>
        finish(() => {
          filter.end();
          if (opts.signal.aborted) reject(opts.signal.reason);
          else resolve({ exitCode: code, signal, stdout, stderr, durationMs: Date.now() - started });
        }),
      );
    });
  });
}
