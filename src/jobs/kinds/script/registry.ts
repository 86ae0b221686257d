/**
 * The script registry: the only scripts the `script` kind will ever run.
 * Users pick a script by name and send parameters; they never send code.
 * Each entry names a file (run with this process's Node binary, so it works
 * wherever Holdfast runs), the zod schema its parameters must pass at submit
 * (400 before any hold), and its limits. Prices live in ../../pricing.ts.
 *
 * To add a script: drop a file in SCRIPTS_DIR (scripts/registry/ by default)
 * that reads its parameters as JSON on stdin and writes its answer to stdout
 * (JSON if it can), then add an entry to BUILTIN_SCRIPTS. See docs/kinds.md.
 */
import path from "node:path";
import { z } from "zod";

export interface ScriptDefinition {
  name: string;
  /** One sentence for docs. */
  description: string;
  /** Script file: relative to the registry folder, or absolute. */
  file: string;
  /** Parameters, checked at submit; the parsed value is what the script receives on stdin. */
  parameters: z.ZodType;
  /** Hard limit per run in ms; the whole process group is killed past it (refunded, not retried). */
  timeoutMs: number;
  /** Bytes of stdout kept (default 1 MiB); the rest is counted and dropped with a marker. */
  maxStdoutBytes?: number;
  /** Bytes of stderr kept (default 64 KiB). */
  maxStderrBytes?: number;
  /** V8 heap limit of the script in MB (default 256); running out is the user's failure (charged). */
  maxMemoryMb?: number;
  /** CPU seconds per run, overriding SCRIPT_CPU_SECONDS for this script (0 = no limit). */
  cpuSeconds?: number;
  /** Writable memory per run in MB, overriding SCRIPT_MEMORY_MB for this script (0 = no limit). */
  memoryMb?: number;
}

export const DEFAULT_MAX_STDOUT = 1024 * 1024;
export const DEFAULT_MAX_STDERR = 64 * 1024;
export const DEFAULT_MAX_MEMORY_MB = 256;

/** The scripts Holdfast ships (and the demo uses). */
export const BUILTIN_SCRIPTS: ScriptDefinition[] = [
  {
    name: "wordcount",
    description: "Counts the words, lines and characters of a text.",
    file: "wordcount.mjs",
    parameters: z.object({ text: z.string().max(500_000, "at most 500000 characters") }).strict(),
    timeoutMs: 10_000,
  },
  {
    name: "sleep",
    description: "Waits the given seconds (up to 60), reporting progress every second; shows long work, progress and cancel.",
    file: "sleep.mjs",
    parameters: z.object({ seconds: z.number().int("must be a whole number").min(0).max(60, "at most 60 seconds") }).strict(),
    timeoutMs: 75_000,
  },
  {
    name: "csv-stats",
    description: "Per-column statistics of a CSV text with a header row: count, empty, distinct, and min/max/mean/sum of numbers.",
    file: "csv-stats.mjs",
    parameters: z
      .object({
        csv: z.string().min(1, "must not be empty").max(500_000, "at most 500000 characters"),
        delimiter: z.enum([",", ";", "\t", "|"]).default(","),
        columns: z.array(z.string().min(1).max(200)).max(100).optional(),
      })
      .strict(),
    timeoutMs: 30_000,
  },
];

/** Scripts by name, with their files resolved against one folder. */
export class ScriptRegistry {
  private readonly byName = new Map<string, ScriptDefinition>();
  readonly dir: string;

  constructor(dir: string, scripts: ScriptDefinition[] = BUILTIN_SCRIPTS) {
    this.dir = path.resolve(dir);
    for (const s of scripts) {
      if (!/^[a-z][a-z0-9-]{0,63}$/.test(s.name)) throw new Error(`script name "${s.name}" must be lower-case letters, digits and dashes`);
      if (this.byName.has(s.name)) throw new Error(`script "${s.name}" is registered twice`);
      this.byName.set(s.name, s);
    }
  }

  get(name: string): ScriptDefinition | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** Absolute path of a script's file. */
  fileOf(def: ScriptDefinition): string {
    return path.resolve(this.dir, def.file);
  }
}
