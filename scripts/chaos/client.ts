/**
 * The chaos run's client: what a careful API user does. Every submission
 * carries an Idempotency-Key, and a network error, a timeout, a 503 or a 429
 * is retried with the same key and body (so a retry can never pay twice)
 * until the API accepts it or the client's deadline passes. Every answer is
 * counted by status; a 500 is never expected.
 */
import { randomInt, randomUUID } from "node:crypto";

export interface HttpCounts {
  /** Answers by HTTP status. */
  byStatus: Record<number, number>;
  /** Requests that got no answer (connection refused or reset, timeout), and why. */
  network: number;
  noAnswer: Record<string, number>;
  /** The first few 500s and other unexpected answers, for the report. */
  unexpected: string[];
}

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of the API
  retryAfter: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ChaosClient {
  readonly counts: HttpCounts = { byStatus: {}, network: 0, noAnswer: {}, unexpected: [] };

  constructor(private readonly base: string, private readonly timeoutMs = 10_000) {}

  /** One request; null when no answer came (counted as a network error). */
  async call(key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer | null> {
    try {
      const res = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      this.counts.byStatus[res.status] = (this.counts.byStatus[res.status] ?? 0) + 1;
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: kept as text for the report
      }
      if (res.status >= 500 && res.status !== 503) this.note(`${method} ${path} → ${res.status} ${text.slice(0, 300)}`);
      const ra = Number(res.headers.get("retry-after"));
      return { status: res.status, body: parsed, retryAfter: Number.isFinite(ra) && ra > 0 ? ra : null };
    } catch (err) {
      this.counts.network++;
      const e = err as { name?: string; cause?: { code?: string } };
      const why = e.name === "TimeoutError" ? `timeout ${this.timeoutMs} ms` : (e.cause?.code ?? e.name ?? "error");
      this.counts.noAnswer[why] = (this.counts.noAnswer[why] ?? 0) + 1;
      return null;
    }
  }

  note(line: string): void {
    if (this.counts.unexpected.length < 20) this.counts.unexpected.push(line);
  }

  /**
   * Send until an answer that is not worth retrying, or the deadline. Retried
   * with the same headers (Idempotency-Key) and body: no answer, 503, 429 and
   * (counted, never expected) 500. Returns the last answer, or null.
   */
  async untilAnswered(key: string, method: string, path: string, body: unknown, headers: Record<string, string>, deadline: number): Promise<Answer | null> {
    let tries = 0;
    for (;;) {
      const a = await this.call(key, method, path, body, headers);
      const retry = a === null || a.status === 503 || a.status === 429 || a.status >= 500;
      if (!retry || Date.now() > deadline) return a;
      tries++;
      const backoff = Math.min(2000, 100 * 2 ** Math.min(tries, 5)) + randomInt(100);
      await sleep(a?.retryAfter ? Math.min(a.retryAfter * 1000, backoff) : backoff);
    }
  }
}

export interface SubmittedJob {
  id: string;
  userIndex: number;
  slow: boolean;
}

/** A job's input: most are fast, some slow; some use less than held, a few fail as the user's fault. */
export function jobInput(slow: boolean, slowMs: [number, number]): { kind: "chaos"; input: Record<string, unknown> } {
  const cost = slow ? randomInt(5, 21) : randomInt(1, 6);
  const input: Record<string, unknown> = { cost, ms: slow ? randomInt(slowMs[0], slowMs[1] + 1) : randomInt(0, 80) };
  const roll = randomInt(100);
  if (roll < 20) input.use = randomInt(0, cost + 1);
  else if (roll < 25) input.fail = "user";
  return { kind: "chaos", input };
}

export const newKey = (): string => randomUUID();
