/**
 * How a run fails. A UserError is the user's fault (bad content, script exit
 * ≠ 0, unparseable file): not retried, charged per the kind's policy. Any
 * other error is the platform's fault: retried with backoff, refunded when
 * attempts run out.
 */
export class UserError extends Error {
  /** Credits the kind measured as used before failing (for the `measured` policy). */
  readonly usage: number;
  readonly result: unknown;
  constructor(message: string, opts: { usage?: number; result?: unknown; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "UserError";
    this.usage = opts.usage ?? 0;
    this.result = opts.result ?? null;
  }
}

/** A platform failure, named explicitly (any non-UserError counts as one). */
export class SystemError extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "SystemError";
  }
}

/** The run was aborted because the job was cancelled. */
export class Canceled extends Error {
  constructor() {
    super("The job was cancelled.");
    this.name = "Canceled";
  }
}

/** The run outlived its kind's hard timeout. */
export class TimedOut extends SystemError {
  constructor(ms: number) {
    super(`The job did not finish within its ${ms} ms time limit.`);
    this.name = "TimedOut";
  }
}
