/**
 * The closed set of errors the platform raises on purpose. Each carries the
 * HTTP status and stable `code` of API.md; the API's error middleware is the
 * only place that turns them into responses. Anything else is `internal`.
 */
export type ErrorCode =
  | "invalid_request"
  | "unauthenticated"
  | "insufficient_credits"
  | "spend_limit_reached"
  | "forbidden"
  | "account_paused"
  | "not_found"
  | "idempotency_conflict"
  | "invalid_state"
  | "payload_too_large"
  | "rate_limited"
  | "unavailable"
  | "internal";

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  insufficient_credits: 402,
  spend_limit_reached: 402,
  forbidden: 403,
  account_paused: 403,
  not_found: 404,
  idempotency_conflict: 409,
  invalid_state: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AppError";
    this.status = STATUS[code];
  }
}

export class InvalidRequest extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super("invalid_request", message, details, options);
    this.name = "InvalidRequest";
  }
}

export class NotFound extends AppError {
  constructor(what = "Resource") {
    super("not_found", `${what} not found.`);
    this.name = "NotFound";
  }
}

export class InvalidState extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("invalid_state", message, details);
    this.name = "InvalidState";
  }
}

export class Unavailable extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("unavailable", message, {}, options);
    this.name = "Unavailable";
  }
}

/**
 * A feature this server was not configured for (HTTP 503 `unavailable`): `details` name the
 * setting, and no Retry-After is sent, since retrying cannot help until an operator sets it.
 */
export class NotConfigured extends AppError {
  constructor(message: string, setting: string) {
    super("unavailable", message, { reason: "not_configured", setting });
    this.name = "NotConfigured";
  }
}

/** Not enough available credit for a hold or a debit (HTTP 402). */
export class InsufficientCredits extends AppError {
  constructor(
    readonly required: number,
    readonly available: number,
    readonly creditType: string,
  ) {
    super(
      "insufficient_credits",
      `This needs ${required} ${creditType} credits but only ${available} are available.`,
      { required, available, credit_type: creditType },
    );
    this.name = "InsufficientCredits";
  }
}

/** A hold would take the period's spend past the user's daily or monthly spend limit (HTTP 402); nothing was held. */
export class SpendLimitReached extends AppError {
  constructor(
    readonly period: "day" | "month",
    readonly limit: number,
    readonly spent: number,
    readonly required: number,
  ) {
    super(
      "spend_limit_reached",
      `This needs ${required} credits but your ${period === "day" ? "daily" : "monthly"} spend limit of ${limit} has ${Math.max(0, limit - spent)} left (${spent} spent ${period === "day" ? "today" : "this month"}).`,
      { period, limit, spent, required },
    );
    this.name = "SpendLimitReached";
  }
}

/** The same transfer id was reused for a different transfer. */
export class LedgerConflict extends AppError {
  constructor(transferId: string) {
    super("idempotency_conflict", `Transfer ${transferId} already exists with different parameters.`, {
      transfer_id: transferId,
    });
    this.name = "LedgerConflict";
  }
}
