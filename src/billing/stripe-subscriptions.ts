/**
 * Subscriptions paid through Stripe, from the user's side: start one (a
 * Checkout Session in subscription mode), change plan, cancel at the period's
 * end. Every change is made in Stripe first and then synced back from
 * Stripe's answer (stripe-sync.ts), the same path webhooks take — so the
 * route and a later webhook for the same change agree, and credits for an
 * upgrade are granted once whichever runs first.
 */
import type { AppContext } from "../context";
import type { User } from "../entities/user";
import { AppError, InvalidState, NotFound } from "../errors";
import type { Idempotency } from "../db/idempotency";
import { assertActive } from "../users/status";
import { toInt } from "../ledger/types";
import { UUID_RE } from "../lib/ids";
import { dispatchEmails, MailBatch } from "../mail/notifications";
import { type CheckoutView, checkoutView, claimCheckout, insertCheckout, openSession, type ReturnUrls, returnUrls } from "./checkouts";
import { ensureCustomer } from "./customers";
import { ensureStripePrice, getPackage, type PackageRow, requirePackage } from "./packages";
import { requireStripe, stripeFailure, type Stripe } from "./stripe-client";
import { syncStripeSubscription } from "./stripe-sync";
import { LIVE, liveSubscription, loadSubscription, type PlanChange, type SubscriptionRow, type SubscriptionView, subscriptionView } from "./subscriptions";

export interface SubscribeRequest extends ReturnUrls {
  package_id: string;
}

export type SubscribeResult =
  | { action: "checkout"; checkout_url: string | null; session_id: string | null; checkout: CheckoutView; replayed: boolean }
  | { action: Exclude<PlanChange, "unchanged">; subscription: SubscriptionView };

/**
 * POST /subscriptions: without a live plan, a Checkout Session for `package_id`;
 * with a Stripe plan, a plan change (upgrade now, downgrade at the period's end).
 */
export async function subscribe(ctx: AppContext, user: User, req: SubscribeRequest, idem?: Idempotency): Promise<SubscribeResult> {
  assertActive(user);
  const stripe = requireStripe(ctx);
  const pkg = await requirePackage(ctx, req.package_id);
  const current = await liveSubscription(ctx.ds.manager, user.id);
  if (current) {
    if (current.source === "admin") {
      throw new InvalidState("Your plan is managed by an administrator (invoiced billing); ask them to change it.", { subscription_id: current.id });
    }
    return changeStripePlan(ctx, stripe, current, pkg);
  }

  let priceId: string;
  try {
    priceId = await ensureStripePrice(ctx, stripe, pkg);
  } catch (err) {
    throw stripeFailure(err, "prepare the plan's price");
  }
  const claimed = await ctx.ds.transaction(async (m) => {
    const claim = await claimCheckout(m, user.id, "subscriptions", idem);
    if (claim.prior) return { checkout: claim.prior, replayed: true };
    return { checkout: await insertCheckout(m, claim.id, user.id, { mode: "subscription", package_id: pkg.id }), replayed: false };
  });
  const c = claimed.checkout;
  try {
    const customer = await ensureCustomer(ctx, stripe, user);
    const urls = returnUrls(ctx.config, req);
    const opened = await openSession(ctx, c, (idempotencyKey) =>
      stripe.checkout.sessions.create(
        {
          mode: "subscription",
          customer,
          client_reference_id: c.id,
          line_items: [{ price: priceId, quantity: 1 }],
          metadata: { checkout_id: c.id, user_id: user.id, package_id: c.package_id!, kind: "subscription" },
          subscription_data: { metadata: { user_id: user.id, package_id: c.package_id!, checkout_id: c.id } },
          success_url: urls.success_url,
          cancel_url: urls.cancel_url,
        },
        { idempotencyKey },
      ),
    );
    return { action: "checkout", checkout_url: opened.checkout_url, session_id: opened.stripe_session_id, checkout: checkoutView(opened), replayed: claimed.replayed };
  } catch (err) {
    throw stripeFailure(err, "start a checkout");
  }
}

/** Re-read from Stripe and sync in one transaction; emails after commit. */
export async function syncNow(ctx: AppContext, stripe: Stripe, stripeSubscriptionId: string) {
  const mail = new MailBatch();
  const r = await ctx.ds.transaction((m) => syncStripeSubscription(ctx, m, stripe, stripeSubscriptionId, mail));
  await dispatchEmails(ctx, mail.ids);
  return r;
}

async function changeStripePlan(ctx: AppContext, stripe: Stripe, current: SubscriptionRow, target: PackageRow): Promise<SubscribeResult> {
  if (target.id === current.package_id && !current.pending_package_id) {
    throw new InvalidState(`You are already on the ${target.name} plan.`, { subscription_id: current.id });
  }
  const from = await getPackage(ctx.ds.manager, current.package_id);
  const upgrade = toInt(target.credits) > toInt(from.credits);
  try {
    const priceId = await ensureStripePrice(ctx, stripe, target);
    const s = await stripe.subscriptions.retrieve(current.stripe_subscription_id!);
    const item = s.items.data[0];
    if (!item) throw new AppError("internal", "The Stripe subscription has no items.");
    await stripe.subscriptions.update(s.id, {
      items: [{ id: item.id, price: priceId }],
      // Upgrade: charge the prorated difference now, and only apply the
      // change if that payment succeeds. Downgrade: no proration — Stripe
      // bills the cheaper plan from the next period, which is when ours applies.
      proration_behavior: upgrade ? "always_invoice" : "none",
      ...(upgrade ? { payment_behavior: "error_if_incomplete" as const } : {}),
      metadata: { ...s.metadata, package_id: target.id },
    });
  } catch (err) {
    throw stripeFailure(err, "change the plan");
  }
  const r = await syncNow(ctx, stripe, current.stripe_subscription_id!);
  if (!r.subscription) throw new AppError("internal", `Stripe subscription could not be synced (${r.outcome}).`);
  const action = r.change && r.change !== "unchanged" ? r.change : upgrade ? "upgraded" : "downgrade_scheduled";
  return { action, subscription: await subscriptionView(ctx.ds.manager, r.subscription) };
}

/** POST /subscriptions/:id/cancel: ends at the period's end (credits already granted stay until they expire). */
export async function cancelSubscription(ctx: AppContext, user: User, id: string): Promise<SubscriptionView> {
  const s = UUID_RE.test(id) ? await loadSubscription(ctx.ds.manager, id) : null;
  if (!s || (s.user_id !== user.id && user.role !== "admin")) throw new NotFound("Subscription");
  if (!LIVE.includes(s.status)) throw new InvalidState(`The subscription is already ${s.status}.`, { status: s.status });
  if (s.source === "admin") throw new InvalidState("This plan is managed by an administrator; ask them to end it.", { subscription_id: s.id });
  if (s.cancel_at_period_end) return subscriptionView(ctx.ds.manager, s);
  const stripe = requireStripe(ctx);
  try {
    await stripe.subscriptions.update(s.stripe_subscription_id!, { cancel_at_period_end: true });
  } catch (err) {
    throw stripeFailure(err, "cancel the subscription");
  }
  const r = await syncNow(ctx, stripe, s.stripe_subscription_id!);
  return subscriptionView(ctx.ds.manager, r.subscription ?? s);
}
