/** Balance, lots and their expiry, plan and portal, this month's spend, limits and the low-credit threshold. */
import { type FormEvent, useEffect, useState } from "react";
import { type ApiError, type Balance, get, type Page, post, put, type Summary } from "../api";
import { dateTime, Field, fmt, LoadError, Notice, shortDate, toApiError, useLoad } from "../ui";

interface Lot {
  id: string;
  category: string;
  remaining: number;
  expires_at: string | null;
}
interface Subscription {
  id: string;
  status: string;
  package: { name: string; credits: number; price: string };
  current_period_end: string;
  cancel_at_period_end: boolean;
}
interface Limits {
  daily: number | null;
  monthly: number | null;
  ceiling_daily: number | null;
  ceiling_monthly: number | null;
  spent_today: number;
  spent_this_month: number;
  low_credit_threshold: number | null;
}

export function Overview() {
  const balance = useLoad(() => get<Balance>("/credits/balance"), []);
  const summary = useLoad(() => get<Summary>("/credits/summary"), []);
  const lots = useLoad(() => get<Page<Lot>>("/credits/lots"), []);
  const subs = useLoad(() => get<Page<Subscription>>("/subscriptions"), []);
  const b = balance.data;
  return (
    <>
      <h1>Overview</h1>
      {balance.error ? <LoadError error={balance.error} what="Your balance" /> : null}
      {b?.status === "paused" ? <Notice kind="error">Your credit service is paused by an admin: new jobs are refused.</Notice> : null}
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
  const [portalError, setPortalError] = useState<ApiError | null>(null);
  const active = subs?.find((s) => s.status === "active" || s.status === "past_due" || s.status === "trialing");
  const portal = async () => {
    setPortalError(null);
    try {
      const { url } = await post<{ url: string }>("/billing/portal");
      location.assign(url);
    } catch (err) {
      setPortalError(toApiError(err));
    }
  };
  // The payment-failed email links to /?portal=1: portal sessions are short-lived, so the link opens a fresh one here.
  useEffect(() => {
    if (new URLSearchParams(location.search).get("portal") === "1") void portal();
  }, []);
  return (
    <>
      {error ? <LoadError error={error} what="Subscriptions" /> : null}
      {active ? (
        <p>
          <strong>{active.package.name}</strong> — {fmt(active.package.credits)} credits for ${active.package.price} per period;{" "}
          {active.cancel_at_period_end ? "ends" : "renews"} on {dateTime(active.current_period_end)}.
        </p>
      ) : subs ? (
        <p className="muted">No subscription: pay as you go (see Buy credits).</p>
      ) : null}
      <button type="button" className="secondary" onClick={() => void portal()}>
        Manage billing in the Stripe customer portal
      </button>
      {portalError ? (
        portalError.missing ? (
          <Notice>The billing portal is not available on this server yet.</Notice>
        ) : (
          <Notice kind={portalError.status === 503 || portalError.status === 409 ? "info" : "error"}>{portalError.message}</Notice>
        )
      ) : null}
    </>
  );
}

/** Numbers in a form field: "" means none (null). */
const toLimit = (v: string): number | null => (v.trim() === "" ? null : Number(v));

function LimitsForm() {
  const limits = useLoad(() => get<Limits>("/credits/limits"), []);
  // Until the limits endpoint exists, the low-credit threshold still has its own (GET/PUT /credits/low-credit-alert).
  const alert = useLoad(() => get<{ threshold: number | null; effective_threshold: number }>("/credits/low-credit-alert"), []);
  const [form, setForm] = useState<{ daily: string; monthly: string; threshold: string } | null>(null);
  const [msg, setMsg] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const l = limits.data;
  const f = form ?? {
    daily: l?.daily?.toString() ?? "",
    monthly: l?.monthly?.toString() ?? "",
    threshold: (l ? l.low_credit_threshold : alert.data?.threshold)?.toString() ?? "",
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setMsg(null);
    try {
      if (l) await put("/credits/limits", { daily: toLimit(f.daily), monthly: toLimit(f.monthly), low_credit_threshold: toLimit(f.threshold) });
      else await put("/credits/low-credit-alert", { threshold: toLimit(f.threshold) });
      setMsg({ kind: "ok", text: "Saved." });
      setForm(null);
      limits.reload();
      alert.reload();
    } catch (err) {
      setMsg({ kind: "error", text: toApiError(err).message });
    }
  };
  const set = (k: "daily" | "monthly" | "threshold") => (e: { target: { value: string } }) => setForm({ ...f, [k]: e.target.value });
  return (
    <>
    {limits.error ? <LoadError error={limits.error} what="Spend limits" /> : null}
    <form onSubmit={(e) => void save(e)} className="inline-form">
      {l ? (
        <>
          <Field label="Daily limit (credits)" hint={`spent today: ${fmt(l.spent_today)}${l.ceiling_daily !== null ? `; admin ceiling ${fmt(l.ceiling_daily)}` : ""}`}>
            <input type="number" min={0} value={f.daily} onChange={set("daily")} placeholder="none" />
          </Field>
          <Field label="Monthly limit (credits)" hint={`spent this month: ${fmt(l.spent_this_month)}${l.ceiling_monthly !== null ? `; admin ceiling ${fmt(l.ceiling_monthly)}` : ""}`}>
            <input type="number" min={0} value={f.monthly} onChange={set("monthly")} placeholder="none" />
          </Field>
        </>
      ) : null}
      <Field label="Low-credit alert threshold (credits)" hint={alert.data && !l ? `in effect: ${fmt(alert.data.effective_threshold)}` : undefined}>
        <input type="number" min={0} value={f.threshold} onChange={set("threshold")} placeholder="default" />
      </Field>
      <button type="submit">Save limits</button>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
    </form>
    </>
  );
}
