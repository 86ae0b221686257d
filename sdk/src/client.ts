/**
 * HoldfastClient: every API call the SDK offers, typed from the server's
 * OpenAPI document. `userId` (service keys) makes the ★ routes of API.md
 * act for that user.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { HoldfastError } from "./errors.js";
import { Http, sleep } from "./http.js";
import type {
  Balance, Batch, BatchStatus, BatchSummary, ConsumeResult, CreditCheck, Estimate, FileInfo, Hold, HoldStatus, Job, JobEvent, JobRequest, JobStatus, Page, SpendLimits, Transaction, TransactionType,
} from "./types.js";

export interface HoldfastClientOptions {
  /** e.g. http://localhost:3000 (without /api/v1). */
  baseUrl: string;
  apiKey: string;
  /** Service and admin keys: act for this user on the routes that allow it (holds, consume, check, balance, transactions). */
  userId?: string;
  /** Retries after the first try on network errors, 5xx and 429 (default 2). */
  maxRetries?: number;
  /** First retry delay in ms (default 250), doubled each retry; a Retry-After header wins. */
  retryDelayMs?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

export interface Progress {
  /** Bytes sent or received so far. */
  bytes: number;
  /** Total bytes when known. */
  total: number | null;
}

const FINAL: readonly JobStatus[] = ["succeeded", "failed", "canceled"];
export const isFinal = (s: JobStatus) => FINAL.includes(s);

const API = "/api/v1";

export class HoldfastClient {
  readonly http: Http;
  readonly userId: string | undefined;

  constructor(opts: HoldfastClientOptions) {
    if (!opts?.baseUrl) throw new TypeError("HoldfastClient needs baseUrl");
    if (!opts.apiKey) throw new TypeError("HoldfastClient needs apiKey");
    this.userId = opts.userId;
    this.http = new Http({ baseUrl: opts.baseUrl, apiKey: opts.apiKey, maxRetries: opts.maxRetries ?? 2, retryDelayMs: opts.retryDelayMs, fetch: opts.fetch });
  }

  /** Price a job without running it (holds nothing). */
  estimate(req: JobRequest): Promise<Estimate> {
    return this.http.send({ method: "POST", path: `${API}/estimates`, json: req });
  }

  /** A client with the same key acting for `userId` (service and admin keys). */
  forUser(userId: string): HoldfastClient {
    return new HoldfastClient({ ...this.http.opts, userId });
  }

  /** `user_id` for ★ routes when the client acts for a user. */
  private acting(): { user_id?: string } {
    return this.userId ? { user_id: this.userId } : {};
  }

  readonly jobs = {
    /** Submit a job (202). One Idempotency-Key per call (yours, or a fresh one), reused by every retry. */
    submit: (req: JobRequest, opts: { idempotencyKey?: string; maxCredits?: number } = {}): Promise<Job> =>
      this.http.send({
        method: "POST", path: `${API}/jobs`, idempotencyKey: opts.idempotencyKey ?? true,
        json: { kind: req.kind, input: req.input, ...(opts.maxCredits !== undefined ? { max_credits: opts.maxCredits } : {}) },
      }),

    get: (id: string): Promise<Job> => this.http.send({ method: "GET", path: `${API}/jobs/${encodeURIComponent(id)}` }),

    cancel: (id: string): Promise<Job> => this.http.send({ method: "POST", path: `${API}/jobs/${encodeURIComponent(id)}/cancel` }),

    /** Every job, newest first; pages are fetched as you iterate. */
    list: (filter: { status?: JobStatus; kind?: string; limit?: number } = {}): AsyncIterable<Job> =>
      this.paginate<Job>(`${API}/jobs`, { status: filter.status, kind: filter.kind, limit: filter.limit }),

    /** Server-sent events of a job as an async iterator; ends when the job is final. */
    events: (id: string, opts: { signal?: AbortSignal } = {}): AsyncIterable<JobEvent> => this.jobEvents(id, opts.signal),

    /**
     * Resolve with the job once it is final. Follows the event stream (and
     * reconnects if it drops); `onProgress` gets 0–100, once per change of
     * the value (a progress event and the job event after it that carry the
     * same value are one report). Rejects with a HoldfastError `timeout`
     * after `timeoutMs` (default: no limit).
     */
    wait: async (id: string, opts: { onProgress?: (progress: number, job?: Job) => void; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Job> => {
      const ac = new AbortController();
      const onAbort = () => ac.abort(opts.signal?.reason);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      const timer = opts.timeoutMs ? setTimeout(() => ac.abort(new HoldfastError(0, "timeout", `Job ${id} was not final after ${opts.timeoutMs} ms.`)), opts.timeoutMs) : null;
      let reported: number | undefined;
      const report = (progress: number, job?: Job) => {
        if (progress === reported) return;
        reported = progress;
        opts.onProgress?.(progress, job);
      };
      try {
        for (let tries = 0; ; tries++) {
          try {
            for await (const ev of this.jobEvents(id, ac.signal)) {
              if (ev.type === "progress") report(ev.progress);
              if (ev.type === "job") {
                report(ev.job.progress, ev.job);
                if (isFinal(ev.job.status)) return ev.job;
              }
            }
          } catch (err) {
            if (ac.signal.aborted) throw ac.signal.reason;
            if (err instanceof HoldfastError && err.status > 0 && err.status < 500) throw err;
          }
          // The stream ended or dropped before the job was final: read it, then follow again.
          const job = await this.jobs.get(id);
          if (isFinal(job.status)) return job;
          await sleep(Math.min(200 * 2 ** tries, 2000), ac.signal);
        }
      } catch (err) {
        throw ac.signal.aborted ? ac.signal.reason : err;
      } finally {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
      }
    },
  };

  readonly batches = {
    /** All or nothing: one check of the total; 402 and no job created if it is not affordable. */
    submit: (jobs: JobRequest[], opts: { idempotencyKey?: string } = {}): Promise<Batch> =>
      this.http.send({ method: "POST", path: `${API}/batches`, idempotencyKey: opts.idempotencyKey ?? true, json: { jobs } }),

    /** The batch with its jobs in submission order. */
    get: (id: string): Promise<Batch> => this.http.send({ method: "GET", path: `${API}/batches/${encodeURIComponent(id)}` }),

    /** Every batch, newest first (without their jobs: `get` has them); pages are fetched as you iterate. */
    list: (filter: { status?: BatchStatus; limit?: number } = {}): AsyncIterable<BatchSummary> =>
      this.paginate<BatchSummary>(`${API}/batches`, { status: filter.status, limit: filter.limit }),

    /**
     * Cancel every job of the batch that is not final yet (queued ones at once, running ones asked to stop).
     * Safe to repeat; a batch whose jobs are all final → HoldfastError 409 invalid_state.
     */
    cancel: (id: string): Promise<Batch> => this.http.send({ method: "POST", path: `${API}/batches/${encodeURIComponent(id)}/cancel` }),
  };

  readonly files = {
    /**
     * Upload a file (a path, or a stream) as a raw body, streamed. A path is
     * re-read on a retry; a stream cannot be, so it is sent once.
     */
    upload: async (source: string | NodeJS.ReadableStream, opts: { name?: string; contentType?: string; onProgress?: (p: Progress) => void } = {}): Promise<FileInfo> => {
      const total = typeof source === "string" ? (await stat(source)).size : null;
      const name = opts.name ?? (typeof source === "string" ? basename(source) : undefined);
      let used = false;
      return this.http.send<FileInfo>({
        method: "POST", path: `${API}/files`, query: { name },
        body: () => {
          if (typeof source !== "string" && used) return null;
          used = true;
          let bytes = 0;
          const counter = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              bytes += chunk.length;
              opts.onProgress?.({ bytes, total });
              cb(null, chunk);
            },
          });
          const input = typeof source === "string" ? createReadStream(source) : (source as Readable);
          input.on("error", (e: Error) => counter.destroy(e));
          const body = Readable.toWeb(input.pipe(counter)) as unknown as ReadableStream;
          return { body, contentType: opts.contentType ?? "application/octet-stream", length: total ?? undefined };
        },
      });
    },

    /** The file's bytes as a Node stream; with `to`, written to that path (resolves when done). */
    download: async (id: string, opts: { to?: string; onProgress?: (p: Progress) => void } = {}): Promise<Readable> => {
      const res = await this.http.send({ method: "GET", path: `${API}/files/${encodeURIComponent(id)}/content`, raw: true });
      const totalHeader = Number(res.headers.get("content-length"));
      const total = Number.isFinite(totalHeader) && res.headers.get("content-length") !== null ? totalHeader : null;
      let bytes = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          opts.onProgress?.({ bytes, total });
          cb(null, chunk);
        },
      });
      const stream = Readable.fromWeb(res.body! as unknown as WebReadableStream).pipe(counter);
      if (opts.to) await pipeline(stream, createWriteStream(opts.to));
      return stream;
    },

    get: (id: string): Promise<FileInfo> => this.http.send({ method: "GET", path: `${API}/files/${encodeURIComponent(id)}` }),
  };

  readonly credits = {
    balance: (opts: { creditType?: string } = {}): Promise<Balance> =>
      this.http.send({ method: "GET", path: `${API}/credits/balance`, query: { credit_type: opts.creditType, ...this.acting() } }),

    /** Every transaction, newest first; pages are fetched as you iterate. */
    transactions: (filter: { type?: TransactionType; jobId?: string; limit?: number } = {}): AsyncIterable<Transaction> =>
      this.paginate<Transaction>(`${API}/credits/transactions`, { type: filter.type, job_id: filter.jobId, limit: filter.limit, ...this.acting() }),

    /** Could `credits` be spent now? Holds nothing. */
    check: (credits: number, opts: { creditType?: string } = {}): Promise<CreditCheck> =>
      this.http.send({ method: "GET", path: `${API}/credits/check`, query: { credits, credit_type: opts.creditType, ...this.acting() } }),

    /** Charge now (hold + capture in one transaction). 402 → InsufficientCreditsError. */
    consume: (credits: number, opts: { description: string; creditType?: string; metadata?: Record<string, unknown>; idempotencyKey?: string }): Promise<ConsumeResult> =>
      this.http.send({
        method: "POST", path: `${API}/credits/consume`, idempotencyKey: opts.idempotencyKey ?? true,
        json: { credits, description: opts.description, ...(opts.creditType ? { credit_type: opts.creditType } : {}), ...(opts.metadata ? { metadata: opts.metadata } : {}), ...this.acting() },
      }),
  };

  /** Your spend limits (per UTC day and calendar month); a hold past one → HoldfastError 402 `spend_limit_reached`. */
  readonly limits = {
    get: (): Promise<SpendLimits> => this.http.send({ method: "GET", path: `${API}/credits/limits` }),

    /** Fields left out stay as they are; null clears one. Above an admin ceiling → HoldfastError 400. */
    update: (req: { daily?: number | null; monthly?: number | null; low_credit_threshold?: number | null }): Promise<SpendLimits> =>
      this.http.send({ method: "PUT", path: `${API}/credits/limits`, json: req }),
  };

  readonly holds = {
    /** Reserve credits until captured, released or `ttlSeconds` pass (default 3600). 402 → InsufficientCreditsError. */
    create: (req: { credits: number; ttlSeconds?: number; description?: string; creditType?: string; metadata?: Record<string, unknown> }, opts: { idempotencyKey?: string } = {}): Promise<Hold> =>
      this.http.send({
        method: "POST", path: `${API}/holds`, idempotencyKey: opts.idempotencyKey ?? true,
        json: {
          credits: req.credits,
          ...(req.ttlSeconds !== undefined ? { ttl_seconds: req.ttlSeconds } : {}),
          ...(req.description !== undefined ? { description: req.description } : {}),
          ...(req.creditType !== undefined ? { credit_type: req.creditType } : {}),
          ...(req.metadata !== undefined ? { metadata: req.metadata } : {}),
          ...this.acting(),
        },
      }),

    /** Charge `credits` (default: all held), release the rest. A hold no longer pending → HoldfastError 409 invalid_state. */
    capture: (id: string, req: { credits?: number; description?: string } = {}, opts: { idempotencyKey?: string } = {}): Promise<Hold> =>
      this.http.send({
        method: "POST", path: `${API}/holds/${encodeURIComponent(id)}/capture`, idempotencyKey: opts.idempotencyKey ?? true,
        json: { ...(req.credits !== undefined ? { credits: req.credits } : {}), ...(req.description !== undefined ? { description: req.description } : {}), ...this.acting() },
      }),

    release: (id: string, opts: { idempotencyKey?: string } = {}): Promise<Hold> =>
      this.http.send({ method: "POST", path: `${API}/holds/${encodeURIComponent(id)}/release`, idempotencyKey: opts.idempotencyKey ?? true, json: { ...this.acting() } }),

    get: (id: string): Promise<Hold> =>
      this.http.send({ method: "GET", path: `${API}/holds/${encodeURIComponent(id)}`, query: { ...this.acting() } }),

    list: (filter: { status?: HoldStatus; limit?: number } = {}): AsyncIterable<Hold> =>
      this.paginate<Hold>(`${API}/holds`, { status: filter.status, limit: filter.limit, ...this.acting() }),
  };

  private async *paginate<T>(path: string, query: Record<string, string | number | undefined>): AsyncIterable<T> {
    let cursor: string | undefined;
    do {
      const page: Page<T> = await this.http.send({ method: "GET", path, query: { ...query, cursor } });
      yield* page.data;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  private async *jobEvents(id: string, signal?: AbortSignal): AsyncIterable<JobEvent> {
    const res = await this.http.send({ method: "GET", path: `${API}/jobs/${encodeURIComponent(id)}/events`, raw: true, signal });
    const decoder = new TextDecoder();
    let buf = "";
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        // Line ends may be \r\n, \r or \n (SSE allows all three); a blank line ends an event.
        buf += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
        let sep: number;
        while ((sep = buf.indexOf("\n\n")) >= 0) {
          const ev = parseEvent(buf.slice(0, sep));
          buf = buf.slice(sep + 2);
          if (ev) yield ev;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}

/** One SSE block (`event:` and `data:` lines; comments ignored) as a JobEvent. */
function parseEvent(block: string): JobEvent | null {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return null;
  const payload = JSON.parse(data.join("\n")) as Record<string, unknown>;
  if (event === "job") return { type: "job", job: payload as unknown as Job };
  if (event === "progress") return { type: "progress", job_id: String(payload.job_id), progress: Number(payload.progress) };
  if (event === "status") return { type: "status", job_id: String(payload.job_id), status: payload.status as JobStatus };
  return null;
}
