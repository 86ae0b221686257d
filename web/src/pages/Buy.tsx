/**
 * Buying credits: packages (subscriptions) and a custom amount priced live by
 * POST /credits/purchase/validate (bulk, subscriber and promo discounts), then
 * Stripe Checkout. Without Stripe the API answers 503 and this says so.
 */
import { type FormEvent, useEffect, useState } from "react";
import { type ApiError, get, type Page, post } from "../api";
import { Field, fmt, LoadError, Notice, toApiError, useLoad } from "../ui";

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

const backHere = () => `${location.origin}/buy`;

export function BuyPage() {
  const packages = useLoad(() => get<Page<Package>>("/packages"), []);
  const [credits, setCredits] = useState("500");
  const [promo, setPromo] = useState("");
  const [quote, setQuote] = useState<Quote | null>(null);
  const [quoteError, setQuoteError] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const returned = new URLSearchParams(location.search).get("checkout");

  useEffect(() => {
    setQuote(null);
    setQuoteError(null);
    const n = Number(credits);
    if (!Number.isInteger(n) || n <= 0) return setQuoteError("Enter a whole number of credits.");
    let live = true;
    const t = setTimeout(() => {
      post<Quote>("/credits/purchase/validate", { credits: n, ...(promo.trim() ? { promo_code: promo.trim() } : {}) }).then(
        (q) => live && setQuote(q),
        (err: unknown) => live && setQuoteError(toApiError(err).message),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [credits, promo]);

  const checkout = async (path: string, body: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    try {
      const out = await post<{ checkout_url?: string | null; action?: string }>(
        path,
        { ...body, success_url: `${backHere()}?checkout=success`, cancel_url: `${backHere()}?checkout=canceled` },
        { "Idempotency-Key": crypto.randomUUID() },
      );
      if (out.checkout_url) location.assign(out.checkout_url);
      else setError(null);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const buy = (e: FormEvent) => {
    e.preventDefault();
    void checkout("/credits/purchase", { credits: Number(credits), ...(promo.trim() ? { promo_code: promo.trim() } : {}) });
  };

  return (
    <>
      <h1>Buy credits</h1>
      {returned === "success" ? <Notice kind="ok">Payment received: your credits appear as soon as Stripe confirms it.</Notice> : null}
      {returned === "canceled" ? <Notice>Checkout canceled; nothing was charged.</Notice> : null}
      {error ? (
        error.status === 503 ? (
          <Notice>Payments are not set up on this server (Stripe is not configured), so nothing can be bought here yet.</Notice>
        ) : (
          <Notice kind="error">{error.message}</Notice>
        )
      ) : null}
      <section aria-labelledby="custom-title" className="panel">
        <h2 id="custom-title">Credits, pay once</h2>
        <form onSubmit={buy} className="inline-form">
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
      <section aria-labelledby="plans-title">
        <h2 id="plans-title">Subscriptions</h2>
        <p className="muted">Subscribing, upgrading or downgrading goes through Stripe; a plan change applies as Stripe confirms it.</p>
        {packages.error ? <LoadError error={packages.error} what="Plans" /> : null}
        <div className="cards">
          {packages.data?.data.map((p) => (
            <div className="card" key={p.id}>
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
              <button type="button" disabled={busy} onClick={() => void checkout("/subscriptions", { package_id: p.code })}>
                Subscribe to {p.name}
              </button>
            </div>
          ))}
        </div>
      </section>
    </>
  );
}
