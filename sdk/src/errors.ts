/** Every API error as a typed exception (API.md's error envelope). */

export class HoldfastError extends Error {
  /** HTTP status (0 when the server was never reached). */
  readonly status: number;
  /** API.md's stable code, e.g. `invalid_state`; `network_error` when no answer came. */
  readonly code: string;
  readonly details: Record<string, unknown>;
  /** The server's request id (`X-Request-Id`), when it sends one. */
  readonly requestId: string | null;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}, requestId: string | null = null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HoldfastError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }
}

/** 402 `insufficient_credits` (also thrown by the wrappers before spending, e.g. requireCredits, meter.use). */
export class InsufficientCreditsError extends HoldfastError {
  readonly required: number;
  readonly available: number;
  readonly creditType: string;

  constructor(required: number, available: number, creditType: string, message?: string, requestId: string | null = null, extra: Record<string, unknown> = {}) {
    super(402, "insufficient_credits", message ?? `This needs ${required} ${creditType} credits but only ${available} are available.`,
      { ...extra, required, available, credit_type: creditType }, requestId);
    this.name = "InsufficientCreditsError";
    this.required = required;
    this.available = available;
    this.creditType = creditType;
  }
}

/** The typed error for an API error response. */
export function errorFromResponse(status: number, body: unknown, requestId: string | null): HoldfastError {
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const code = typeof e?.code === "string" ? e.code : status >= 500 ? "internal" : "http_error";
  const message = typeof e?.message === "string" ? e.message : `HTTP ${status}`;
  const details = e?.details && typeof e.details === "object" ? (e.details as Record<string, unknown>) : {};
  if (code === "insufficient_credits") {
    return new InsufficientCreditsError(Number(details.required ?? 0), Number(details.available ?? 0), String(details.credit_type ?? "standard"), message, requestId, details);
  }
  return new HoldfastError(status, code, message, details, requestId);
}
