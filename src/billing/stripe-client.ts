/**
 * The Stripe client, built from configuration. Without STRIPE_SECRET_KEY
 * there is none and every Stripe-backed route answers 503 `unavailable`.
 * STRIPE_API_BASE points the real SDK at another host (tests run a fake
 * Stripe on loopback), so the SDK's own request code always runs.
 */
import Stripe from "stripe";
import type { Config } from "../config";
import { AppError, NotConfigured, Unavailable } from "../errors";

export type { Stripe };

/** host/port/protocol options for the SDK from a base URL like http://127.0.0.1:12111. */
export function stripeHostOptions(base: string | undefined): { host?: string; port?: number; protocol?: "http" | "https" } {
  if (!base) return {};
  const u = new URL(base);
  const protocol = u.protocol === "http:" ? "http" : "https";
  return { host: u.hostname, port: u.port ? Number(u.port) : protocol === "http" ? 80 : 443, protocol };
}

/** A new client for this configuration; each context builds one (AppContext.stripe). */
export function createStripe(config: Config): Stripe | null {
  if (!config.STRIPE_SECRET_KEY) return null;
  return new Stripe(config.STRIPE_SECRET_KEY, {
    ...stripeHostOptions(config.STRIPE_API_BASE),
    // Network retries reuse the SDK's idempotency key; our own keys are passed for creates.
    maxNetworkRetries: 2,
    /** Per request, in ms: a webhook step holds a database transaction while it waits. */
    timeout: 20_000,
    telemetry: false,
    appInfo: { name: "holdfast" },
  });
}

/** The context's client, or 503 when Stripe is not configured. */
export function requireStripe(ctx: { stripe: Stripe | null }): Stripe {
  const s = ctx.stripe;
  if (!s) throw new NotConfigured("Payments are not configured on this server (STRIPE_SECRET_KEY is not set).", "STRIPE_SECRET_KEY");
  return s;
}

/** Is this a Stripe error that retrying the same request will not fix? */
export function isPermanentStripeError(err: unknown): boolean {
  const t = (err as { type?: string })?.type;
  return t === "StripeInvalidRequestError" || t === "StripeAuthenticationError" || t === "StripePermissionError" || t === "StripeCardError";
}

/** Map a Stripe failure during an API request to our error codes (a card decline is the user's; the rest is 503). */
export function stripeFailure(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; message?: string; code?: string };
  if (e?.type === "StripeCardError") {
    return new AppError("invalid_state", `Stripe declined the payment: ${e.message ?? "card declined"}`, { stripe_code: e.code ?? null });
  }
  return new Unavailable(`Stripe could not ${what} right now; please try again.`, { cause: err });
}

/** A Stripe object reference (id string or expanded object) → its id. */
export function refId(v: string | { id: string } | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : v.id;
}

export const fromUnix = (s: number): Date => new Date(s * 1000);
