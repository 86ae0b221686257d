/**
 * The `script` kind: run a registered script by name with parameters.
 *
 * Failure classes:
 * - exit code 0 → success, charged the script's price;
 * - exit code ≠ 0 → the user's failure (bad parameters for this script),
 *   charged in full: the run happened (policy `full`);
 * - exit code 75 (EX_TEMPFAIL, "try again later") → a platform failure, for
 *   scripts that know a dependency of theirs is down;
 * - over the operator's resource limits → the user's failure, charged per the
 *   kind's policy (`full`): the input asked for more than a script may use, and
 *   running it again would fail the same way. Decided from how the process
 *   ended, never from its output (which can echo the user's data):
 *   SIGXCPU = past SCRIPT_CPU_SECONDS; SIGABRT (or exit 134) = Node's fatal
 *   out-of-memory abort, past the V8 heap limit or SCRIPT_MEMORY_MB;
 * - cannot start, killed by another signal we did not send (the kernel's OOM
 *   killer when the machine is short of memory, SIGSEGV …) → platform
 *   failure: retried with backoff, refunded when attempts run out;
 * - past the script's timeout → the worker aborts, we kill the process group,
 *   refunded and not retried.
 */
import { z } from "zod";
import { SystemError, UserError } from "../../run-errors";
import type { JobKind } from "../../kind";
import { PRICES, scriptPrice } from "../../price-list";
import { DEFAULT_MAX_MEMORY_MB, DEFAULT_MAX_STDERR, DEFAULT_MAX_STDOUT, type ScriptRegistry } from "./registry";
import { runScript, type ScriptExit } from "./runner";
import { DEFAULT_SCRIPT_LIMITS, type ScriptLimits } from "./sandbox";

export interface ScriptInput {
  script: string;
  /** Already validated against the script's own schema. */
  parameters: unknown;
}

export interface ScriptResult {
  exit_code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is (complete) JSON, else null. */
  result: unknown;
}

/** Exit code a script uses to say "a dependency of mine failed, retry me" (sysexits EX_TEMPFAIL). */
export const EXIT_TEMPFAIL = 75;

function scriptInput(registry: ScriptRegistry): z.ZodType<ScriptInput> {
  return z
    .object({ script: z.string().min(1).max(100), parameters: z.unknown().optional() })
    .strict()
    .transform((v, ctx): ScriptInput => {
      const def = registry.get(v.script);
      if (!def) {
        ctx.addIssue({ code: "custom", path: ["script"], message: `unknown script "${v.script}"; registered: ${registry.names().join(", ")}` });
        return z.NEVER;
      }
      const parsed = def.parameters.safeParse(v.parameters ?? {});
      if (!parsed.success) {
        for (const i of parsed.error.issues) ctx.addIssue({ code: "custom", path: ["parameters", ...i.path.map(String)], message: i.message });
        return z.NEVER;
      }
      return { script: v.script, parameters: parsed.data };
    });
}

/** stdout as JSON when it is JSON; NUL re-escaped because PostgreSQL's jsonb refuses it. */
function parseJson(text: string): unknown {
  const t = text.trim();
  if (!t || !/^[[{"\d-]|^(true|false|null)$/.test(t)) return null;
  try {
    return JSON.parse(JSON.stringify(JSON.parse(t)).replace(/\\u0000/g, "\\ufffd"));
  } catch {
    return null;
  }
}

function toResult(x: ScriptExit): ScriptResult {
  const stdout = x.stdout.text();
  return { exit_code: x.exitCode, stdout, stderr: x.stderr.text(), result: x.stdout.truncated ? null : parseJson(stdout) };
}

/** Exit status of a process that died by SIGABRT, as a shell reports it (128 + 6). */
const EXIT_ABORTED = 134;

/**
 * Which operator limit a script ran into, from how it ended (the signal or
 * exit code the kernel and Node produce), or null. Never from stderr: a
 * script may print anything the user sent it.
 */
export function limitExceeded(x: Pick<ScriptExit, "exitCode" | "signal">): "cpu" | "memory" | null {
  if (x.signal === "SIGXCPU") return "cpu";
  // Node aborts on a fatal out-of-memory: the V8 heap limit, or an allocation the data limit refused.
  if (x.signal === "SIGABRT" || x.exitCode === EXIT_ABORTED) return "memory";
  return null;
}

export function scriptKind(registry: ScriptRegistry, limits: ScriptLimits = DEFAULT_SCRIPT_LIMITS): JobKind<ScriptInput, ScriptResult, "script"> {
  return {
    name: "script",
    description: "Runs a script the operator registered, by name, with parameters checked against the script's schema.",
    input: scriptInput(registry),
    creditType: PRICES.script.creditType,
    onUserFailure: "full",
    estimate: (input) => scriptPrice(input.script),
    timeoutMs: (input) => registry.get(input.script)?.timeoutMs ?? 60_000,
    async run(input, rc) {
      const def = registry.get(input.script);
      // Registered at submit but not on this worker: a deployment mismatch, not the user's doing.
      if (!def) throw new SystemError(`The script "${input.script}" is not registered on this worker.`);
      const price = scriptPrice(def.name).credits;
      const runLimits: ScriptLimits = { cpuSeconds: def.cpuSeconds ?? limits.cpuSeconds, memoryMb: def.memoryMb ?? limits.memoryMb };
      const exit = await runScript(registry.fileOf(def), input.parameters, {
        signal: rc.signal,
        maxStdoutBytes: def.maxStdoutBytes ?? DEFAULT_MAX_STDOUT,
        maxStderrBytes: def.maxStderrBytes ?? DEFAULT_MAX_STDERR,
        maxMemoryMb: def.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB,
        limits: runLimits,
        onProgress: (p) => rc.progress(p),
      });
      const result = toResult(exit);
      const limit = limitExceeded(exit);
      if (limit === "cpu") {
        throw new UserError(`The script used more than its ${runLimits.cpuSeconds} s of CPU time on this input.`, { usage: price, result });
      }
      if (limit === "memory") {
        throw new UserError("The script ran out of memory on this input (more than a script may use).", { usage: price, result });
      }
      if (exit.signal !== null) throw new SystemError(`The script was killed by ${exit.signal} on the platform's side.`);
      if (exit.exitCode === EXIT_TEMPFAIL) throw new SystemError(`The script reported a temporary failure: ${result.stderr.slice(0, 500)}`);
      if (exit.exitCode !== 0) {
        const hint = result.stderr.trim().split("\n").slice(-1)[0]?.slice(0, 300) ?? "";
        throw new UserError(`The script exited with code ${exit.exitCode}${hint ? `: ${hint}` : "."}`, { usage: price, result });
      }
      rc.logger.debug({ ms: exit.durationMs, stdoutBytes: exit.stdout.kept + exit.stdout.dropped }, "script finished");
      return { result, usage: price };
    },
  };
}
