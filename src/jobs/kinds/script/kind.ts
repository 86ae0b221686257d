/**
 * The `script` kind: run a registered script by name with parameters.
 *
 * Failure classes:
 * - exit code 0 → success, charged the script's price;
 * - exit code ≠ 0 → the user's failure (bad parameters for this script),
 *   charged in full: the run happened (policy `full`);
 * - exit code 75 (EX_TEMPFAIL, "try again later") → a platform failure, for
 *   scripts that know a dependency of theirs is down;
 * - cannot start, out of memory, killed by a signal we did not send →
 *   platform failure: retried with backoff, refunded when attempts run out;
 * - past the script's timeout → the worker aborts, we kill the process group,
 *   refunded and not retried.
 */
import { z } from "zod";
import { SystemError, UserError } from "../../run-errors";
import type { JobKind } from "../../kind";
import { PRICES, scriptPrice } from "../../price-list";
import { DEFAULT_MAX_MEMORY_MB, DEFAULT_MAX_STDERR, DEFAULT_MAX_STDOUT, type ScriptRegistry } from "./registry";
import { runScript, type ScriptExit } from "./runner";

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

function outOfMemory(x: ScriptExit): boolean {
  return /JavaScript heap out of memory|Reached heap limit/.test(x.stderr.text());
}

export function scriptKind(registry: ScriptRegistry): JobKind<ScriptInput, ScriptResult> {
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
      const exit = await runScript(registry.fileOf(def), input.parameters, {
        signal: rc.signal,
        maxStdoutBytes: def.maxStdoutBytes ?? DEFAULT_MAX_STDOUT,
        maxStderrBytes: def.maxStderrBytes ?? DEFAULT_MAX_STDERR,
        maxMemoryMb: def.maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB,
        onProgress: (p) => rc.progress(p),
      });
      const result = toResult(exit);
      if (exit.signal !== null || outOfMemory(exit)) {
        const why = outOfMemory(exit) ? "ran out of memory" : `was killed by ${exit.signal}`;
        throw new SystemError(`The script ${why} on the platform's side.`);
      }
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
