/**
 * The command line a script runs under: operating-system limits around
 * `node <script>`, built from util-linux tools that set a limit and then
 * exec the next program (same pid, so the process group and the exit signal
 * are the script's own). Arguments only, never a shell.
 *
 *   setpriv --pdeathsig KILL   the kernel SIGKILLs the script when its worker
 *                              dies (PR_SET_PDEATHSIG, which Node cannot set)
 *   prlimit --cpu=N:N+1        CPU seconds: SIGXCPU at N (the script dies by it),
 *                              SIGKILL at N+1 should it catch SIGXCPU
 *   prlimit --data=BYTES       memory the script can make writable (V8 heap,
 *                              buffers, malloc). Not --as: Node reserves ~700 MB
 *                              of address space it never touches, so an
 *                              address-space limit measures nothing useful.
 *
 * Where a tool is missing (macOS, a minimal image) the script runs without
 * that protection and the worker logs it once at start; the wall-clock
 * timeout, the V8 heap limit and the orphan reaper (./orphans.ts) still apply.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

export interface ScriptLimits {
  /** CPU seconds per run (SCRIPT_CPU_SECONDS); 0 = no limit. */
  cpuSeconds: number;
  /** Writable memory per run in MB (SCRIPT_MEMORY_MB); 0 = no limit. */
  memoryMb: number;
}

/** The defaults of SCRIPT_CPU_SECONDS and SCRIPT_MEMORY_MB (src/config.ts). */
export const DEFAULT_SCRIPT_LIMITS: ScriptLimits = { cpuSeconds: 60, memoryMb: 1024 };

const SYSTEM_DIRS = ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"];

/** Absolute path of an executable on PATH or in the usual system folders, or null. */
export function findTool(name: string, searchPath = process.env.PATH ?? ""): string | null {
  for (const dir of [...searchPath.split(path.delimiter).filter(Boolean), ...SYSTEM_DIRS]) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

export interface SandboxTools {
  setpriv: string | null;
  prlimit: string | null;
}

let cachedTools: SandboxTools | undefined;

/**
 * A tool counts only if it runs with the options we pass: setpriv before
 * util-linux 2.33 has no --pdeathsig, and a wrapper that fails would make
 * every script "exit 1" — charged as the user's failure.
 */
function works(tool: string | null, args: string[]): string | null {
  if (!tool) return null;
  const r = spawnSync(tool, [...args, "--", process.execPath, "-e", ""], { stdio: "ignore", timeout: 10_000 });
  return r.status === 0 ? tool : null;
}

/** setpriv and prlimit, looked up and tried once per process. */
export function sandboxTools(): SandboxTools {
  cachedTools ??= {
    setpriv: works(findTool("setpriv"), ["--pdeathsig", "KILL"]),
    prlimit: works(findTool("prlimit"), ["--cpu=60:61", "--data=1073741824"]),
  };
  return cachedTools;
}

/** What this machine cannot enforce, in words for a start-up warning (empty when everything is). */
export function missingProtections(limits: ScriptLimits, tools: SandboxTools = sandboxTools()): string[] {
  const missing: string[] = [];
  if (!tools.setpriv) missing.push("setpriv not found: scripts are not killed at once when their worker dies (the next worker start reaps them)");
  if (!tools.prlimit && (limits.cpuSeconds > 0 || limits.memoryMb > 0)) {
    missing.push("prlimit not found: SCRIPT_CPU_SECONDS and SCRIPT_MEMORY_MB are not enforced");
  }
  return missing;
}

/** The program and arguments that run `node <nodeArgs…>` under the limits. */
export function sandboxCommand(
  nodeArgs: string[],
  limits: ScriptLimits,
  tools: SandboxTools = sandboxTools(),
): { command: string; args: string[] } {
  const argv: string[] = [];
  if (tools.setpriv) argv.push(tools.setpriv, "--pdeathsig", "KILL", "--");
  const rl: string[] = [];
  if (limits.cpuSeconds > 0) rl.push(`--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`);
  if (limits.memoryMb > 0) rl.push(`--data=${limits.memoryMb * 1024 * 1024}`);
  if (tools.prlimit && rl.length > 0) argv.push(tools.prlimit, ...rl, "--");
  argv.push(process.execPath, ...nodeArgs);
  return { command: argv[0]!, args: argv.slice(1) };
}
