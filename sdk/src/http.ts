/**
 * The one place requests are sent: JSON in and out, typed errors, and
 * retries. A logical call gets ONE Idempotency-Key (when it changes
 * anything) that every retry reuses, so a retry after a lost answer replays
 * the first result instead of charging again.
 */
import { randomUUID } from "node:crypto";
import { errorFromResponse, HoldfastError } from "./errors.js";

export interface HttpOptions {
  baseUrl: string;
  apiKey: string;
  /** Retries after the first try (default 2). */
  maxRetries: number;
  /** First retry delay in ms (default 250), doubled each time, with jitter. */
  retryDelayMs?: number;
  /** Longest wait for one retry in ms, also for a long Retry-After (default 30000). */
  maxRetryDelayMs?: number;
  fetch?: typeof fetch;
}

export interface Call {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Record<string, string | number | undefined>;
  /** JSON body. */
  json?: unknown;
  /** A raw body; a function so a retry can make a fresh one (return null when it cannot be replayed). */
  body?: () => { body: RequestInit["body"]; contentType: string; length?: number } | null;
  /** Send this Idempotency-Key; `true` makes one for this call. */
  idempotencyKey?: string | true;
  signal?: AbortSignal;
  /** Resolve with the Response itself (streams), after the status was checked. */
  raw?: boolean;
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

export class Http {
  private readonly fetchImpl: typeof fetch;
  constructor(readonly opts: HttpOptions) {
    this.fetchImpl = opts.fetch ?? fetch;
  }

  url(path: string, query?: Call["query"]): string {
    const u = new URL(this.opts.baseUrl.replace(/\/+$/, "") + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async send(call: Call & { raw: true }): Promise<Response>;
  async send<T>(call: Call): Promise<T>;
  async send<T>(call: Call): Promise<T | Response> {
    const key = call.idempotencyKey === true ? randomUUID() : call.idempotencyKey;
    const url = this.url(call.path, call.query);
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { authorization: `Bearer ${this.opts.apiKey}`, accept: "application/json" };
      if (key) headers["idempotency-key"] = key;
      let body: RequestInit["body"] | undefined;
      if (call.json !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(call.json);
      } else if (call.body) {
        const b = call.body();
        if (!b) throw new HoldfastError(0, "network_error", "The upload failed and its stream cannot be sent again.");
        headers["content-type"] = b.contentType;
        if (b.length !== undefined) headers["content-length"] = String(b.length);
        body = b.body;
      }
      const canRetry = attempt < this.opts.maxRetries && !call.signal?.aborted;
      let res: Response;
      try {
        res = await this.fetchImpl(url, {
          method: call.method, headers, body, signal: call.signal,
          // A stream body needs half duplex in Node's fetch.
          ...(body && typeof body === "object" && "getReader" in body ? { duplex: "half" } : {}),
        } as RequestInit);
      } catch (err) {
        if ((err as Error).name === "AbortError") throw err;
        if (canRetry) {
          await sleep(this.backoff(attempt), call.signal);
          continue;
        }
        throw new HoldfastError(0, "network_error", `Could not reach Holdfast at ${this.opts.baseUrl}: ${(err as Error).message}`, {}, null, { cause: err });
      }
      if (res.ok) {
        if (call.raw) return res;
        if (res.status === 204) return undefined as T;
        const text = await res.text();
        return (text ? JSON.parse(text) : undefined) as T;
      }
      const text = await res.text().catch(() => "");
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = null;
      }
      // A 503 for a feature the server is not configured for (no AI provider, no Stripe) stays so: no retry.
      if (canRetry && RETRY_STATUSES.has(res.status) && !notConfigured(parsed)) {
        await sleep(this.backoff(attempt, res.headers.get("retry-after")), call.signal);
        continue;
      }
      throw errorFromResponse(res.status, parsed, res.headers.get("x-request-id") ?? res.headers.get("request-id"));
    }
  }

  /** ms to wait before retry number attempt+1: Retry-After when given (seconds or a date), else exponential with jitter. */
  private backoff(attempt: number, retryAfter?: string | null): number {
    const max = this.opts.maxRetryDelayMs ?? 30_000;
    if (retryAfter) {
      const s = Number(retryAfter);
      const ms = Number.isFinite(s) ? s * 1000 : Date.parse(retryAfter) - Date.now();
      if (Number.isFinite(ms)) return Math.min(Math.max(ms, 0), max);
    }
    const base = (this.opts.retryDelayMs ?? 250) * 2 ** attempt;
    return Math.min(base / 2 + Math.random() * base / 2, max);
  }
}

function notConfigured(body: unknown): boolean {
  const details = (body as { error?: { details?: { reason?: unknown } } } | null)?.error?.details;
  return details?.reason === "not_configured";
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(t);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}
