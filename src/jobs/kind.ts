/**
 * What a job kind is. A kind knows nothing about credits beyond "this is what
 * the input costs at most" (estimate) and "this is what I used" (usage); the
 * worker owns every ledger call.
 */
import type { z } from "zod";
import type { FileStore } from "../files/store";
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

export interface JobKind<I = unknown, R = unknown, N extends string = string> {
  name: N;
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
 * Services kinds may use, each optional: a kind checks for what it needs and
 * answers 503 without it. An operator's kind that needs another service adds
 * it here by declaration merging (`declare module "…/jobs/kind" { interface
 * KindServices { crm?: CrmClient } }`) and passes it to runProcess.
 */
export interface KindServices {
  /** Uploaded and produced files (the file kind and the files routes share it). */
  files?: FileStore;
}

/** Any kind, whatever its input and result (what the registry hands out by a name only known at run time). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a kind's input type is only known by name; the kind's schema checks it.
export type AnyJobKind = JobKind<any, any>;

/** The input, result and name types of a kind. */
export type KindInput<K> = K extends JobKind<infer I, unknown> ? I : never;
export type KindResult<K> = K extends JobKind<unknown, infer R> ? R : never;

/**
 * The kind registry: one typed map from kind name to its definition, shared
 * by the API and the worker. `register` widens the registry's type with the
 * kind's name, input and result, so `KindsOf<typeof registry>["script"]`
 * (and KindInput/KindResult of it) are known at compile time; a name known
 * only at run time (a request, a job row) gets `AnyJobKind`, whose input the
 * kind's own schema checks.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the empty map a registry starts from.
export class KindRegistry<K extends Record<string, AnyJobKind> = {}> {
  private readonly kinds = new Map<string, AnyJobKind>();

  register<I, R, N extends string>(kind: JobKind<I, R, N>): KindRegistry<K & Record<N, JobKind<I, R, N>>> {
    if (this.kinds.has(kind.name)) throw new Error(`job kind "${kind.name}" is already registered`);
    this.kinds.set(kind.name, kind);
    return this as unknown as KindRegistry<K & Record<N, JobKind<I, R, N>>>;
  }

  get<N extends keyof K & string>(name: N): K[N];
  get(name: string): AnyJobKind | undefined;
  get(name: string): AnyJobKind | undefined {
    return this.kinds.get(name);
  }

  names(): string[] {
    return [...this.kinds.keys()].sort();
  }

  all(): AnyJobKind[] {
    return this.names().map((n) => this.kinds.get(n)!);
  }
}

/** The name → kind map of a registry's type. */
export type KindsOf<T> = T extends KindRegistry<infer K> ? K : never;
