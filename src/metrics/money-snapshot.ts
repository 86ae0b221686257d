/**
 * What an operator watches about the money, read from PostgreSQL and BullMQ
 * when Prometheus scrapes — never counted on the submit or settle paths.
 *
 * Cost control:
 * - One snapshot serves every metric of a scrape, and is reused for
 *   METRICS_CACHE_MS (default 5 s); concurrent scrapes share one load. A
 *   scrape storm costs one load per interval.
 * - Credit totals (`holdfast_credits_total`) are all-time sums over
 *   ledger_transfers, kept incrementally: transfers older than a lag of
 *   10 minutes are summed once into a base (the first scrape reads them all),
 *   later loads read only what is newer (the BRIN index on created_at). A
 *   transfer's created_at is its transaction's start and ledger transactions
 *   last milliseconds, so nothing commits 10 minutes in the past.
 * - Pending holds come from the partial index of pending holds; alerts,
 *   disputes and queue counts are small; so are open debts (the partial
 *   index of open credit_debts).
 */
import { sql } from "../db/sql";
import { deadline } from "../lib/deadline";
import type { AppContext } from "../context";
import { lastLedgerCheck, type LedgerCheckResult } from "../alerts/ledger-check-task";

/** Transfers at least this old (ms, by the database's clock) are summed into the base once. */
export const TOTALS_LAG_MS = 10 * 60_000;
/** A dependency that does not answer within this (ms) leaves its metrics out of the scrape. */
const LOAD_TIMEOUT_MS = 5_000;
const QUEUE_STATES = ["waiting", "active", "delayed", "prioritized", "waiting-children", "failed", "completed"] as const;

export interface CreditTotal {
  type: string;
  kind: string;
  credit_type: string;
  credits: number;
}

export interface MoneySnapshot {
  credits: CreditTotal[];
  pending: { credit_type: string; holds: number; credits: number }[];
  /** Age in seconds of the oldest pending hold; 0 with none. */
  oldestPendingSeconds: number;
  /** null: no disputes table in this deployment. */
  disputes: { status: string; count: number }[] | null;
  alerts: { type: string; count: number }[];
  /** Credits owed (refunded or charged-back payments already spent), by credit type; empty with none. */
  debts: { credit_type: string; credits: number }[];
  ledgerCheck: LedgerCheckResult | null;
  /** null: Redis not reachable. */
  queues: { queue: string; state: string; count: number }[] | null;
}

type TotalsKey = string;

export class MoneySnapshotLoader {
  private cached: { at: number; snap: MoneySnapshot } | null = null;
  /** The load in flight: every caller meanwhile shares it, so loads never overlap (the base below relies on it). */
  private inflight: Promise<MoneySnapshot> | null = null;
  private base = new Map<TotalsKey, CreditTotal>();
  /** Transfers with created_at before this are in `base`; null before the first load. */
  private watermark: Date | null = null;

  constructor(private readonly ctx: AppContext, private readonly ttlMs = ctx.config.METRICS_CACHE_MS) {}

  /** The current snapshot: reused for ttlMs after a load; concurrent callers share one load; a failed load is not kept. */
  get(): Promise<MoneySnapshot> {
    if (this.cached && performance.now() - this.cached.at < this.ttlMs) return Promise.resolve(this.cached.snap);
    this.inflight ??= this.load()
      .then((snap) => {
        this.cached = { at: performance.now(), snap };
        return snap;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  private async load(): Promise<MoneySnapshot> {
    const [credits, pending, disputes, alerts, debts, ledgerCheck, queues] = await Promise.all([
      timeout(this.creditTotals(), "credit totals"),
      timeout(this.pendingHolds(), "pending holds"),
      timeout(this.disputes(), "disputes"),
      timeout(sql<{ type: string; count: number }>(this.ctx.ds, `SELECT type, count(*)::int AS count FROM alerts GROUP BY type`), "alerts"),
      timeout(this.debts(), "debts"),
      this.redisReady() ? timeout(lastLedgerCheck(this.ctx), "ledger check").catch(() => null) : Promise.resolve(null),
      this.queueCounts(),
    ]);
    return { credits, ...pending, disputes, alerts, debts, ledgerCheck, queues };
  }

  private async creditTotals(): Promise<CreditTotal[]> {
    const [{ cut }] = await sql<{ cut: Date }>(this.ctx.ds, `SELECT now() - make_interval(secs => $1) AS cut`, [TOTALS_LAG_MS / 1000]);
    if (this.watermark === null || cut.getTime() - this.watermark.getTime() >= 60_000) {
      const rows = await this.sumRange(this.watermark, cut);
      for (const r of rows) add(this.base, r);
      this.watermark = cut;
    }
    const out = new Map<TotalsKey, CreditTotal>();
    for (const r of this.base.values()) add(out, r);
    for (const r of await this.sumRange(this.watermark, null)) add(out, r);
    return [...out.values()];
  }

  /** Sums of transfers with from ≤ created_at < to (either end open when null). */
  private async sumRange(from: Date | null, to: Date | null): Promise<CreditTotal[]> {
    const rows = await sql<{ type: string; kind: string; credit_type: string; credits: string }>(this.ctx.ds,
      `SELECT t.type, coalesce(j.kind, 'none') AS kind, t.credit_type, sum(t.amount)::text AS credits
         FROM ledger_transfers t LEFT JOIN jobs j ON j.id = t.job_id
        WHERE ($1::timestamptz IS NULL OR t.created_at >= $1) AND ($2::timestamptz IS NULL OR t.created_at < $2)
        GROUP BY 1, 2, 3`,
      [from, to],
    );
    return rows.map((r) => ({ type: r.type, kind: r.kind, credit_type: r.credit_type, credits: Number(r.credits) }));
  }

  private async pendingHolds(): Promise<Pick<MoneySnapshot, "pending" | "oldestPendingSeconds">> {
    const rows = await sql<{ credit_type: string; holds: number; credits: string; oldest: number | null }>(this.ctx.ds,
      `SELECT t.credit_type, count(*)::int AS holds, sum(p.amount)::text AS credits,
              extract(epoch FROM now() - min(t.created_at))::float8 AS oldest
         FROM ledger_pending p JOIN ledger_transfers t ON t.id = p.transfer_id
        WHERE p.state = 'pending'
        GROUP BY t.credit_type`,
    );
    return {
      pending: rows.map((r) => ({ credit_type: r.credit_type, holds: r.holds, credits: Number(r.credits) })),
      oldestPendingSeconds: Math.max(0, ...rows.map((r) => r.oldest ?? 0)),
    };
  }

  /** Disputes by status, when this deployment has the disputes table (added by the disputes feature). */
  private async disputes(): Promise<MoneySnapshot["disputes"]> {
    const [{ exists }] = await sql<{ exists: boolean }>(this.ctx.ds, `SELECT to_regclass('disputes') IS NOT NULL AS exists`);
    if (!exists) return null;
    return sql<{ status: string; count: number }>(this.ctx.ds, `SELECT status, count(*)::int AS count FROM disputes GROUP BY status`);
  }

  /** Outstanding debt (src/credits/debts.ts): what is neither repaid nor forgiven, summed over users. */
  private async debts(): Promise<MoneySnapshot["debts"]> {
    const rows = await sql<{ credit_type: string; credits: string }>(this.ctx.ds,
      `SELECT credit_type, sum(amount - repaid - forgiven)::text AS credits FROM credit_debts WHERE repaid + forgiven < amount GROUP BY credit_type`,
    );
    return rows.map((r) => ({ credit_type: r.credit_type, credits: Number(r.credits) }));
  }

  private redisReady(): boolean {
    // A client that lost Redis queues commands until it is back; a scrape must not wait for that.
    return this.ctx.redis.status === "ready";
  }

  private async queueCounts(): Promise<MoneySnapshot["queues"]> {
    if (!this.redisReady()) return null;
    const q = this.ctx.queues;
    try {
      const all = await timeout(Promise.all(
        ([["jobs", q.jobs], ["mail", q.mail], ["stripe-events", q.stripeEvents], ["maintenance", q.maintenance]] as const).map(async ([name, queue]) => {
          const counts = await queue.getJobCounts(...QUEUE_STATES);
          return QUEUE_STATES.map((state) => ({ queue: name, state, count: counts[state] ?? 0 }));
        }),
      ), "queues");
      return all.flat();
    } catch (err) {
      this.ctx.logger.warn({ err }, "metrics: queue counts unavailable");
      return null;
    }
  }
}

function add(m: Map<TotalsKey, CreditTotal>, r: CreditTotal): void {
  const k = `${r.type}|${r.kind}|${r.credit_type}`;
  const prev = m.get(k);
  if (prev) prev.credits += r.credits;
  else m.set(k, { ...r });
}

function timeout<T>(p: Promise<T>, what: string): Promise<T> {
  return deadline(p, LOAD_TIMEOUT_MS, () => new Error(`metrics: ${what} took longer than ${LOAD_TIMEOUT_MS} ms`));
}
