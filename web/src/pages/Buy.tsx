/**
 * Buying credits: a custom amount priced live by POST /credits/purchase/validate
 * (bulk, subscriber and promo discounts), then Stripe Checkout; and plans:
 * subscribe (Checkout in subscription mode), upgrade (now, prorated), downgrade
 * (at the period's end), keep the current plan, or cancel at the period's end —
 * all through POST /subscriptions and /subscriptions/:id/cancel. Without Stripe
 * the API answers 503 and this page says so where the user clicked.
 * "Manage billing" opens Stripe's customer portal (a fresh session each time:
 * they are short-lived); the Overview has the same button, which the
 * payment-failed email's link (/?portal=1) opens at once.
 */
import { type FormEvent, useEffect, useState } from "react";
import { type ApiError, type ApiSchemas, get, type Page, type PortalSession, post } from "../api";
import { dateTime, Field, fmt, LoadError, Notice, toApiError, useLoad } from "../ui";

interface Package {
  id: string;
  code: string;
  name: string;
  description: string | null;
  price: string;
  interval: string | null;
  credits: number;
  features: string[];
}
interface Quote {
  credits: number;
  base: string;
  discounts: { type: string; amount_cents: number; description?: string }[];
  discount_cents: number;
  total: string;
}
export interface SubscriptionView {
  id: string;
  status: string;
  source: "stripe" | "admin";
  package: Package;
  pending_package: Package | null;
  current_period_end: string;
  cancel_at_period_end: boolean;
}
type SubscribeResult =
  | { action: "checkout"; checkout_url: string | null }
  | { action: "upgraded" | "downgrade_scheduled" | "downgrade_canceled"; subscription: SubscriptionView };

const LIVE = ["active", "trialing", "past_due"];
export const liveSubscription = (subs: SubscriptionView[] | undefined) => subs?.find((s) => LIVE.includes(s.status)) ?? null;

const backHere = () => `${location.origin}/buy`;
const returnUrls = () => ({ success_url: `${backHere()}?checkout=success`, cancel_url: `${backHere()}?checkout=canceled` });

/** A failed payment call, said plainly: Stripe not configured is a notice, not an error. */
export function PaymentError({ error }: { error: ApiError }) {
  if (error.status === 503 && /not configured/i.test(error.message)) {
    return <Notice>Payments are not set up on this server (Stripe is not configured), so nothing can be bought or subscribed to here yet.</Notice>;
  }
  return <Notice kind={error.status === 503 || error.status === 409 ? "info" : "error"}>{error.message}</Notice>;
}

/**
 * "Manage billing": POST /billing/portal and go to the URL it answers. Without
 * Stripe (503), without a Stripe customer yet (409), or on a server without the
 * route, a notice says why instead.
 */
let autoOpened = false;

export function PortalButton({ label = "Manage billing", autoOpen = false, className }: { label?: string; autoOpen?: boolean; className?: string }) {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const open = async () => {
    setBusy(true);
    setError(null);
    try {
      location.assign((await post<PortalSession>("/billing/portal")).url);
    } catch (err) {
      setError(toApiError(err));
      setBusy(false);
    }
  };
  useEffect(() => {
    // Once per page load (StrictMode runs effects twice in development), and the link leaves the address bar.
    if (!autoOpen || autoOpened) return;
    autoOpened = true;
    history.replaceState(null, "", location.pathname);
    void open();
  }, [autoOpen]);
  return (
    <>
      <p>
        <button type="button" className={className} disabled={busy} onClick={() => void open()}>
          {label}
        </button>{" "}
        <span className="muted">Update your card, see invoices or cancel, in Stripe's customer portal.</span>
      </p>
      <div aria-live="polite">
        {error ? (
          error.missing ? (
            <Notice>The billing portal is not available on this server yet.</Notice>
          ) : error.status === 409 ? (
            <Notice>You have no billing account with Stripe yet: it is made with your first purchase or subscription.</Notice>
          ) : (
            <PaymentError error={error} />
          )
        ) : null}
      </div>
    </>
  );
}

export function BuyPage() {
  const returned = new URLSearchParams(location.search).get("checkout");
  return (
    <>
      <h1>Buy credits</h1>
      {returned === "success" ? <Notice kind="ok">Payment received: your credits appear as soon as Stripe confirms it.</Notice> : null}
      {returned === "canceled" ? <Notice>Checkout canceled; nothing was charged.</Notice> : null}
      <CustomAmount />
      <Plans />
    </>
  );
}

function CustomAmount() {
  const [credits, setCredits] = useState("500");
  const [promo, setPromo] = useState("");
  const [quote, setQuote] = useState<Quote | null>(null);
  const [quoteError, setQuoteError] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setQuote(null);
    setQuoteError(null);
    const n = Number(credits);
    if (!Number.isInteger(n) || n <= 0) return setQuoteError("Enter a whole number of credits.");
    let live = true;
    const t = setTimeout(() => {
      post<Quote>("/credits/purchase/validate", { credits: n, ...(promo.trim() ? { promo_code: promo.trim() } : {}) } satisfies ApiSchemas["PurchaseQuoteRequest"]).then(
        (q) => live && setQuote(q),
        (err: unknown) => live && setQuoteError(toApiError(err).message),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [credits, promo]);

  const buy = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const out = await post<{ checkout_url?: string | null }>(
        "/credits/purchase",
        { credits: Number(credits), ...(promo.trim() ? { promo_code: promo.trim() } : {}), ...returnUrls() } satisfies ApiSchemas["PurchaseRequest"],
        { "Idempotency-Key": crypto.randomUUID() },
      );
      if (out.checkout_url) location.assign(out.checkout_url);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="custom-title" className="panel">
      <h2 id="custom-title">Credits, pay once</h2>
      {error ? <PaymentError error={error} /> : null}
      <form onSubmit={(e) => void buy(e)} className="inline-form">
        <Field label="Credits">
          <input type="number" min={1} step={1} value={credits} onChange={(e) => setCredits(e.target.value)} />
        </Field>
        <Field label="Promotion code">
          <input value={promo} onChange={(e) => setPromo(e.target.value)} placeholder="optional" />
        </Field>
        <p aria-live="polite" className="estimate">
          {quote ? (
            <>
              Price: <strong data-testid="quote-total">${quote.total}</strong>
              {quote.discount_cents > 0 ? ` (list $${quote.base}, ${quote.discounts.map((d) => d.type).join(", ")} discount)` : ""}
            </>
          ) : (
            <span className="muted">{quoteError ?? "Pricing…"}</span>
          )}
        </p>
        <button type="submit" disabled={!quote || busy}>
          Buy with Stripe
        </button>
      </form>
    </section>
  );
}

const CHANGED: Record<string, (s: SubscriptionView) => string> = {
  upgraded: (s) => `Upgraded to ${s.package.name}: the new plan's credits for this period arrive as soon as Stripe confirms the prorated payment.`,
  downgrade_scheduled: (s) => `Your plan changes to ${s.pending_package?.name ?? "the new plan"} on ${dateTime(s.current_period_end)}; until then you keep ${s.package.name}.`,
  downgrade_canceled: (s) => `The scheduled change is called off: you stay on ${s.package.name}.`,
};

function Plans() {
  const packages = useLoad(() => get<Page<Package>>("/packages"), []);
  const subs = useLoad(() => get<Page<SubscriptionView>>("/subscriptions"), []);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const current = liveSubscription(subs.data?.data);

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await fn();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  const choose = (p: Package) =>
    run(async () => {
      const out = await post<SubscribeResult>("/subscriptions", { package_id: p.code, ...returnUrls() } satisfies ApiSchemas["SubscribeRequest"], { "Idempotency-Key": crypto.randomUUID() });
      if (out.action === "checkout") {
        if (out.checkout_url) location.assign(out.checkout_url);
        return;
      }
      setDone(CHANGED[out.action]!(out.subscription));
      subs.reload();
    });
  const cancel = (s: SubscriptionView) =>
    run(async () => {
      const out = await post<SubscriptionView>(`/subscriptions/${s.id}/cancel`);
      setConfirmCancel(false);
      setDone(`Canceled: ${out.package.name} ends on ${dateTime(out.current_period_end)}; credits already granted stay until they expire.`);
      subs.reload();
    });

  return (
    <section aria-labelledby="plans-title">
      <h2 id="plans-title">Subscriptions</h2>
      <PortalButton className="secondary" />
      {subs.error ? <LoadError error={subs.error} what="Your subscription" /> : null}
      {current ? (
        <div className="panel" data-testid="current-plan">
          <p>
            Your plan: <strong>{current.package.name}</strong> ({fmt(current.package.credits)} credits per {current.package.interval ?? "period"}, ${current.package.price})
            {current.status !== "active" ? ` — ${current.status.replace("_", " ")}` : ""}; {current.cancel_at_period_end ? "ends" : "renews"} on {dateTime(current.current_period_end)}.
          </p>
          {current.pending_package ? (
            <p>
              Changes to <strong>{current.pending_package.name}</strong> on {dateTime(current.current_period_end)}.
            </p>
          ) : null}
          {current.source === "admin" ? (
            <p className="muted">Your plan is managed by an administrator (invoiced billing): ask them to change it.</p>
          ) : !current.cancel_at_period_end ? (
            confirmCancel ? (
              <p className="inline-form">
                <span>Cancel {current.package.name} at the end of this period?</span>
                <button type="button" className="danger" disabled={busy} onClick={() => void cancel(current)}>
                  Yes, cancel at period end
                </button>
                <button type="button" className="secondary" onClick={() => setConfirmCancel(false)}>
                  Keep it
                </button>
              </p>
            ) : (
              <button type="button" className="secondary" disabled={busy} onClick={() => setConfirmCancel(true)}>
                Cancel subscription
              </button>
            )
          ) : null}
        </div>
      ) : (
        <p className="muted">Subscribe to a plan for credits every period and a discount on extra purchases. Upgrades apply at once (you pay the prorated difference); downgrades apply at the end of the period.</p>
      )}
      <div aria-live="polite">
        {error ? <PaymentError error={error} /> : null}
        {done ? <Notice kind="ok">{done}</Notice> : null}
      </div>
      {packages.error ? <LoadError error={packages.error} what="Plans" /> : null}
      <div className="cards plans">
        {packages.data?.data.map((p) => (
          <div className="card plan" key={p.id} data-testid="plan-card" data-plan={p.code}>
            <h3>{p.name}</h3>
            <p className="big">${p.price}</p>
            <p>
              {fmt(p.credits)} credits {p.interval ? `per ${p.interval}` : ""}
            </p>
            <ul>
              {p.features.map((f) => (
                <li key={f}>{f}</li>
              ))}
            </ul>
            <PlanAction pkg={p} current={current} busy={busy || subs.loading} choose={() => void choose(p)} />
          </div>
        ))}
      </div>
    </section>
  );
}

function PlanAction({ pkg, current, busy, choose }: { pkg: Package; current: SubscriptionView | null; busy: boolean; choose: () => void }) {
  if (!current) {
    return (
      <button type="button" disabled={busy} onClick={choose}>
        Subscribe to {pkg.name}
      </button>
    );
  }
  if (current.source === "admin") return null;
  if (pkg.id === current.package.id) {
    return current.pending_package ? (
      <button type="button" className="secondary" disabled={busy} onClick={choose}>
        Keep {pkg.name}
      </button>
    ) : (
      <p className="badge badge-succeeded">Your current plan</p>
    );
  }
  if (current.pending_package?.id === pkg.id) return <p className="badge">From {dateTime(current.current_period_end)}</p>;
  const upgrade = pkg.credits > current.package.credits;
  return (
    <button type="button" className={upgrade ? undefined : "secondary"} disabled={busy} onClick={choose}>
      {upgrade ? "Upgrade" : "Downgrade"} to {pkg.name}
    </button>
  );
}
