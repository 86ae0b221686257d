/**
 * The money metrics on an app's registry. Every value is filled by a
 * prom-client `collect` callback from one MoneySnapshot (./money-snapshot.ts),
 * so nothing is counted on the request path. If the snapshot cannot be
 * loaded (database down), the scrape still answers: the money series keep
 * their last values and `holdfast_money_metrics_up` is 0.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { AppContext } from "../context";
import { DEFAULT_CREDIT_TYPE } from "../ledger/types";
import { type MoneySnapshot, MoneySnapshotLoader } from "./money-snapshot";

export function registerMoneyMetrics(registry: Registry, ctx: AppContext, loader = new MoneySnapshotLoader(ctx)): MoneySnapshotLoader {
  /** The snapshot of this scrape, or null when it could not be loaded. */
  const snap = async (): Promise<MoneySnapshot | null> => {
    try {
      const s = await loader.get();
      up.set(1);
      return s;
    } catch (err) {
      ctx.logger.warn({ err }, "metrics: money snapshot unavailable");
      up.set(0);
      return null;
    }
  };
  const registers = [registry];

  const up = new Gauge({ name: "holdfast_money_metrics_up", help: "1 when the money metrics below could be read from the database at the last scrape, else 0.", registers });

  new Counter({
    name: "holdfast_credits_total",
    help: "Credits moved by the ledger since the start, by transaction type (hold = held, charge = charged, release, refund = refunded, expire = expired, clawback = clawed back, dispute_refund …), job kind (none when not a job's) and credit type.",
    labelNames: ["type", "kind", "credit_type"],
    registers,
    async collect() {
      const s = await snap();
      if (!s) return;
      this.reset();
      for (const c of s.credits) this.inc({ type: c.type, kind: c.kind, credit_type: c.credit_type }, c.credits);
    },
  });

  new Gauge({
    name: "holdfast_holds_pending",
    help: "Holds (pending transfers) not yet captured, released or expired, by credit type.",
    labelNames: ["credit_type"],
    registers,
    async collect() {
      const s = await snap();
      if (!s) return;
      this.reset();
      for (const p of s.pending) this.set({ credit_type: p.credit_type }, p.holds);
    },
  });

  new Gauge({
    name: "holdfast_credits_held",
    help: "Credits reserved by pending holds now, by credit type.",
    labelNames: ["credit_type"],
    registers,
    async collect() {
      const s = await snap();
      if (!s) return;
      this.reset();
      for (const p of s.pending) this.set({ credit_type: p.credit_type }, p.credits);
    },
  });

  new Gauge({
    name: "holdfast_oldest_pending_hold_age_seconds",
    help: "Age in seconds of the oldest pending hold (0 with none); a steady climb means the reaper or the workers are stuck.",
    registers,
    async collect() {
      const s = await snap();
      if (s) this.set(s.oldestPendingSeconds);
    },
  });

  new Gauge({
    name: "holdfast_credits_owed",
    help: "Credits owed now (refunded or charged-back payments whose credits were already spent; neither repaid nor forgiven), summed over users, by credit type.",
    labelNames: ["credit_type"],
    registers,
    async collect() {
      const s = await snap();
      if (!s) return;
      this.reset();
      // The default credit type always has a sample (0 when nothing is owed), so "no debt" is not "no data".
      this.set({ credit_type: DEFAULT_CREDIT_TYPE }, 0);
      for (const d of s.debts) this.set({ credit_type: d.credit_type }, d.credits);
    },
  });

  new Gauge({
    name: "holdfast_disputes",
    help: "Disputes by status (absent where the disputes feature is not deployed).",
    labelNames: ["status"],
    registers,
    async collect() {
      const s = await snap();
      if (!s) return;
      this.reset();
      for (const d of s.disputes ?? []) this.set({ status: d.status }, d.count);
    },
  });

  new Counter({
    name: "holdfast_alerts_total",
    help: "Anomaly alerts raised (by any process), by type: spend_spike, estimate_drift, repeated_402, ledger_check_failed.",
    labelNames: ["type"],
    registers,
    async collect() {
      const s = await snap();
      if (!s) return;
      this.reset();
      for (const type of ["spend_spike", "estimate_drift", "repeated_402", "ledger_check_failed"]) this.inc({ type }, 0);
      for (const a of s.alerts) this.inc({ type: a.type }, a.count);
    },
  });

  const check = (name: string, help: string, value: (c: NonNullable<MoneySnapshot["ledgerCheck"]>) => number) =>
    new Gauge({
      name, help, registers,
      async collect() {
        const s = await snap();
        if (!s) return;
        this.reset();
        if (s.ledgerCheck) this.set(value(s.ledgerCheck));
      },
    });
  check("holdfast_ledger_check_ok", "1 if the last scheduled ledger:check found every invariant holding, 0 if it found problems.", (c) => (c.ok ? 1 : 0));
  check("holdfast_ledger_check_problems", "Problems found by the last scheduled ledger:check.", (c) => c.problems);
  check("holdfast_ledger_check_duration_seconds", "How long the last scheduled ledger:check took, in seconds.", (c) => c.duration_ms / 1000);
  check("holdfast_ledger_check_last_run_timestamp_seconds", "When the last scheduled ledger:check ran (Unix time, seconds).", (c) => Date.parse(c.at) / 1000);

  new Gauge({
    name: "holdfast_queue_jobs",
    help: "BullMQ jobs per queue (jobs, mail, stripe-events, maintenance) and state (waiting, active, delayed, prioritized, waiting-children, failed, completed).",
    labelNames: ["queue", "state"],
    registers,
    async collect() {
      const s = await snap();
      if (!s?.queues) return;
      this.reset();
      for (const q of s.queues) this.set({ queue: q.queue, state: q.state }, q.count);
    },
  });

  return loader;
}
