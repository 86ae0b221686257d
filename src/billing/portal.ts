/**
 * Stripe's hosted customer portal: where a user updates the card a renewal
 * failed on, sees invoices, or cancels. A portal session is short-lived and
 * single-use, so nothing stores its URL: the dashboard asks for a fresh one
 * each time (the payment-failed email links to the dashboard with
 * `/?portal=1` (portalLink in src/mail/templates.ts), which calls POST
 * /billing/portal and redirects).
 */
import type { AppContext } from "../context";
import type { User } from "../entities/user";
import { InvalidState } from "../errors";
import { findCustomerId } from "./customers";
import { requireStripe, stripeFailure } from "./stripe-client";

/** Where the portal's "return" link goes: the dashboard's base URL (PUBLIC_URL, else this server). */
export function dashboardUrl(config: AppContext["config"]): string {
  return `${(config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, "")}/`;
}

/** POST /billing/portal: 503 without Stripe, 409 when the user never became a Stripe customer. */
export async function openBillingPortal(ctx: AppContext, user: User): Promise<{ url: string }> {
  const stripe = requireStripe(ctx);
  const customer = await findCustomerId(ctx.ds.manager, user.id);
  if (!customer) {
    throw new InvalidState("You have no billing account with Stripe yet: buy credits or subscribe first.", { stripe_customer: null });
  }
  try {
    const session = await stripe.billingPortal.sessions.create({ customer, return_url: dashboardUrl(ctx.config) });
    return { url: session.url };
  } catch (err) {
    throw stripeFailure(err, "open the billing portal");
  }
}
