/**
 * What a job kind is. A kind knows nothing about credits beyond "this is what
 * the input costs at most" (estimate) and "this is what I used" (usage); the
 * worker owns every ledger call.
 */
import type { z } from "zod";
import type { Logger } from "../logger";

export interface Estimate {
  /** The hold: the most this job can be charged. Whole credits, at least 1. */
  credits: number;
  breakdown: { item: string; credits: number }[];
}

export interface EstimateContext {
  userId: string;
  /** Services a kind may need to price input (the files repository, the script registry …). */
  services: KindServices;
}

export interface RunContext {
  jobId: string;
  userId: string;
  /** 1 on the first try. */
  attempt: number;
  /** The estimate the hold was placed for. */
  held: number;
  /** Aborted on timeout, cancel or shutdown; a kind must stop promptly. */
  signal: AbortSignal;
  /** Report 0–100; stored on the job (throttled) and streamed to watchers. */
  progress(percent: number): void;
  logger: Logger;
  services: KindServices;
}

export interface RunOutcome<R> {
  result: R;
  /** Credits actually used; the worker charges min(usage, held), at least 0. */
  usage: number;
}

/**
 * What a failure caused by the user's input is charged: nothing, what the
 * kind measured before it failed (UserError.usage), or the whole hold.
 */
export type UserFailurePolicy = "none" | "measured" | "full";

export interface JobKind<I = unknown, R = unknown> {
  name: string;
  /** One sentence for docs and the OpenAPI document. */
  description: string;
  input: z.ZodType<I>;
  /** Credit type this kind spends (default "standard"). */
  creditType?: string;
  /** Price the input (may throw InvalidRequest for input only the kind can judge, Unavailable when unconfigured). */
  estimate(input: I, ctx: EstimateContext): Estimate | Promise<Estimate>;
  run(input: I, ctx: RunContext): Promise<RunOutcome<R>>;
  /** Hard limit per attempt in ms; the run is aborted and treated as a system failure. */
  timeoutMs(input: I): number;
  onUserFailure: UserFailurePolicy;
  /** Attempts for system failures (default JOB_ATTEMPTS). */
  maxAttempts?: number;
}

/**
 * A loose bag of optional services kinds can use; each kind checks for what
 * it needs. Kept open so operators can add kinds without touching the worker.
 */
export interface KindServices {
  [name: string]: unknown;
}

/** The kind registry: one typed map from kind name to its definition, shared by API and worker. */
export class KindRegistry {
  private readonly kinds = new Map<string, JobKind<unknown, unknown>>();

  register<I, R>(kind: JobKind<I, R>): this {
    if (this.kinds.has(kind.name)) throw new Error(`job kind "${kind.name}" is already registered`);
    this.kinds.set(kind.name, kind as unknown as JobKind<unknown, unknown>);
    return this;
  }

  get(name: string): JobKind<unknown, unknown> | undefined {
    return this.kinds.get(name);
  }

  names(): string[] {
    return [...this.kinds.keys()].sort();
  }

  all(): JobKind<unknown, unknown>[] {
    return this.names().map((n) => this.kinds.get(n)!);
  }
}
