/** Balance, lots and their expiry, plan and portal, this month's spend, limits and the low-credit threshold. */
import { type FormEvent, useState } from "react";
import { type ApiError, type ApiSchemas, type Balance, type CreditLot, get, type Page, put, type SpendLimits, type Summary } from "../api";
import { Link } from "../router";
import { PortalButton } from "./Buy";
import { dateTime, Field, fmt, LoadError, Notice, shortDate, toApiError, useLoad } from "../ui";

interface Subscription {
  id: string;
  status: string;
  package: { name: string; credits: number; price: string };
  current_period_end: string;
  cancel_at_period_end: boolean;
}

export function Overview() {
  const balance = useLoad(() => get<Balance>("/credits/balance"), []);
  const summary = useLoad(() => get<Summary>("/credits/summary"), []);
  const lots = useLoad(() => get<Page<CreditLot>>("/credits/lots"), []);
  const subs = useLoad(() => get<Page<Subscription>>("/subscriptions"), []);
  const b = balance.data;
  return (
    <>
      <h1>Overview</h1>
      {balance.error ? <LoadError error={balance.error} what="Your balance" /> : null}
      {b?.status === "paused" ? <Notice kind="error">Your credit service is paused by an admin: new jobs are refused.</Notice> : null}
      {b && b.debt > 0 ? (
        <Notice kind="error">
          <span data-testid="balance-debt">
            You owe {fmt(b.debt)} credits: a refunded or charged-back payment took back credits that were already spent. New jobs are
            refused until a purchase repays it (<Link href="/buy">Buy credits</Link>).
          </span>
        </Notice>
      ) : null}
      {b && b.frozen > 0 ? (
        <Notice kind="info">{fmt(b.frozen)} purchased credits are frozen while a chargeback of their payment is open.</Notice>
      ) : null}
      <section className="cards" aria-label="Balance">
        <div className="card">
          <h2>Available</h2>
          <p className="big" data-testid="balance-available">
            {b ? fmt(b.available) : "…"}
          </p>
          <p className="muted">credits you can spend now</p>
        </div>
        <div className="card">
          <h2>Held</h2>
          <p className="big" data-testid="balance-held">{b ? fmt(b.held) : "…"}</p>
          <p className="muted">reserved by running jobs</p>
        </div>
        <div className="card">
          <h2>Posted</h2>
          <p className="big" data-testid="balance-posted">{b ? fmt(b.posted) : "…"}</p>
          <p className="muted">available + held</p>
        </div>
        <div className="card">
          <h2>Spent this month</h2>
          <p className="big" data-testid="month-spent">{summary.data ? fmt(summary.data.spent) : "…"}</p>
          <p className="muted">{summary.data ? `$${summary.data.spent_usd} at $${summary.data.usd_per_credit} per credit` : ""}</p>
        </div>
      </section>

      <section aria-labelledby="lots-title">
        <h2 id="lots-title">Credit lots</h2>
        {lots.error ? <LoadError error={lots.error} what="Credit lots" /> : null}
        {lots.data && lots.data.data.length === 0 ? <p className="muted">No credits left in any lot.</p> : null}
        <ul className="lots">
          {lots.data?.data.map((l) => (
            <li key={l.id}>
              <strong>{fmt(l.remaining)}</strong> {l.category} credits{" "}
              {l.expires_at ? <>expire on {shortDate(l.expires_at)}</> : <>never expire</>}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="plan-title">
        <h2 id="plan-title">Plan</h2>
        <Plan subs={subs.data?.data ?? null} error={subs.error} />
      </section>

      <section aria-labelledby="limits-title">
        <h2 id="limits-title">Spend limits and low-credit alert</h2>
        <LimitsForm />
      </section>
    </>
  );
}

function Plan({ subs, error }: { subs: Subscription[] | null; error: ApiError | null }) {
  const active = subs?.find((s) => s.status === "active" || s.status === "past_due" || s.status === "trialing");
  return (
    <>
      {error ? <LoadError error={error} what="Subscriptions" /> : null}
      {active ? (
        <p>
          <strong>{active.package.name}</strong> — {fmt(active.package.credits)} credits for ${active.package.price} per period;{" "}
          {active.cancel_at_period_end ? "ends" : "renews"} on {dateTime(active.current_period_end)}.
        </p>
      ) : subs ? (
        <p className="muted">
          No subscription: pay as you go, or pick a plan on <Link href="/buy">Buy credits</Link>.
        </p>
      ) : null}
      {/* The payment-failed email links to /?portal=1: portal sessions are short-lived, so the link opens a fresh one here. */}
      <PortalButton label="Manage billing in the Stripe customer portal" className="secondary" autoOpen={new URLSearchParams(location.search).get("portal") === "1"} />
    </>
  );
}

/** Numbers in a form field: "" means none (null). */
const toLimit = (v: string): number | null => (v.trim() === "" ? null : Number(v));
const show = (n: number | null | undefined) => (n === null || n === undefined ? "" : String(n));

/**
 * The caller's spend limits and low-credit threshold (GET/PUT /credits/limits).
 * Only the fields the user changed are sent: the daily/monthly figures shown
 * are the limits in force (an admin ceiling may be what is shown), and saving
 * the threshold must not turn a ceiling into the user's own limit.
 */
function LimitsForm() {
  const limits = useLoad(() => get<SpendLimits>("/credits/limits"), []);
  // The default threshold in effect; also the fallback where the limits endpoint is missing.
  const alert = useLoad(() => get<{ threshold: number | null; effective_threshold: number }>("/credits/low-credit-alert"), []);
  const [form, setForm] = useState<{ daily: string; monthly: string; threshold: string } | null>(null);
  const [msg, setMsg] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const l = limits.data;
  const loaded = { daily: show(l?.daily), monthly: show(l?.monthly), threshold: show(l ? l.low_credit_threshold : alert.data?.threshold) };
  const f = form ?? loaded;
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setMsg(null);
    setBusy(true);
    try {
      if (l) {
        const body: ApiSchemas["UpdateSpendLimitsRequest"] = {};
        if (f.daily !== loaded.daily) body.daily = toLimit(f.daily);
        if (f.monthly !== loaded.monthly) body.monthly = toLimit(f.monthly);
        if (f.threshold !== loaded.threshold) body.low_credit_threshold = toLimit(f.threshold);
        await put("/credits/limits", body);
      } else {
        await put("/credits/low-credit-alert", { threshold: toLimit(f.threshold) } satisfies ApiSchemas["LowCreditThresholdRequest"]);
      }
      setMsg({ kind: "ok", text: "Limits saved." });
      setForm(null);
      limits.reload();
      alert.reload();
    } catch (err) {
      setMsg({ kind: "error", text: toApiError(err).message });
    } finally {
      setBusy(false);
    }
  };
  const set = (k: "daily" | "monthly" | "threshold") => (e: { target: { value: string } }) => setForm({ ...f, [k]: e.target.value });
  const ceiling = (n: number | null) => (n !== null ? `; admin ceiling ${fmt(n)}` : "");
  return (
    <>
      {limits.error ? <LoadError error={limits.error} what="Spend limits" /> : null}
      <form onSubmit={(e) => void save(e)} className="inline-form" aria-describedby="limits-help">
        {l ? (
          <>
            <Field label="Daily limit (credits)" hint={`spent today: ${fmt(l.spent_today)}${ceiling(l.ceiling_daily)}`}>
              <input type="number" min={0} step={1} value={f.daily} onChange={set("daily")} placeholder="none" />
            </Field>
            <Field label="Monthly limit (credits)" hint={`spent this month: ${fmt(l.spent_this_month)}${ceiling(l.ceiling_monthly)}`}>
              <input type="number" min={0} step={1} value={f.monthly} onChange={set("monthly")} placeholder="none" />
            </Field>
          </>
        ) : null}
        <Field label="Low-credit alert threshold (credits)" hint={alert.data ? `in effect: ${fmt(alert.data.effective_threshold)}` : undefined}>
          <input type="number" min={0} step={1} value={f.threshold} onChange={set("threshold")} placeholder="default" />
        </Field>
        <button type="submit" disabled={busy}>
          Save limits
        </button>
      </form>
      <p className="muted" id="limits-help">
        Leave a limit empty for none. A job that would go over a limit is refused (402) before anything is held; the low-credit email goes out when your available credits fall below the threshold.
      </p>
      <div aria-live="polite">{msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}</div>
    </>
  );
}
