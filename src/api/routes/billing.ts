/**
 * Billing routes: plans, credit purchases (quote and Stripe checkout),
 * subscriptions, low-credit alerts, and the admin side (plans without
 * Stripe, subscription state, promotion codes). Thin: parse, one call, reply.
 */
import { Router } from "express";
import * as adminPlans from "../../billing/admin-plans";
import { getCheckoutView } from "../../billing/checkouts";
import { lowCreditSettings, setLowCreditThreshold } from "../../billing/low-credit";
import { listPackages, packageView } from "../../billing/packages";
import { openBillingPortal } from "../../billing/portal";
import { createPromotion, listPromotions, promotionView, updatePromotion } from "../../billing/promotions";
import { quoteForUser, startPurchase } from "../../billing/purchases";
import { assignPlanBody, promotionBody, promotionIdParam, promotionPatchBody, purchaseBody, quoteBody, subscribeBody, thresholdBody, userIdParam } from "../../billing/schemas";
import { cancelSubscription, subscribe } from "../../billing/stripe-subscriptions";
import { subscriptionView, userSubscriptions } from "../../billing/subscriptions";
import type { AppContext } from "../../context";
import { currentUser, requireAdmin } from "../auth";
import { requestIdempotency } from "../idempotency";
import { parse } from "../validate";
import { keyRateLimit } from "../rate-limit";

export function billingRouter(ctx: AppContext): Router {
  const r = Router();

  r.get("/packages", async (_req, res) => {
    res.json({ data: (await listPackages(ctx.ds.manager)).map(packageView), next_cursor: null });
  });

  const purchaseLimit = keyRateLimit(ctx, { name: "ratelimit-purchase", points: ctx.config.PURCHASE_RATE_LIMIT_PER_MINUTE, what: "purchases" });
  r.post("/credits/purchase/validate", async (req, res) => {
    const body = parse(quoteBody, req.body);
    res.json(await quoteForUser(ctx, currentUser(req), body.credits, body.promo_code));
  });

  r.post("/credits/purchase", purchaseLimit, async (req, res) => {
    const body = parse(purchaseBody, req.body);
    const out = await startPurchase(ctx, currentUser(req), body, requestIdempotency(req));
    if (out.replayed) res.set("Idempotent-Replayed", "true");
    res.status(out.replayed ? 200 : 201).json(out);
  });

  r.get("/credits/purchases/:id", async (req, res) => {
    res.json(await getCheckoutView(ctx, currentUser(req), req.params.id));
  });

  r.get("/credits/low-credit-alert", async (req, res) => {
    res.json(await lowCreditSettings(ctx, currentUser(req).id));
  });

  r.put("/credits/low-credit-alert", async (req, res) => {
    const body = parse(thresholdBody, req.body);
    res.json(await setLowCreditThreshold(ctx, currentUser(req).id, body.threshold));
  });

  r.post("/subscriptions", async (req, res) => {
    const body = parse(subscribeBody, req.body);
    const out = await subscribe(ctx, currentUser(req), body, requestIdempotency(req));
    if (out.action === "checkout" && out.replayed) res.set("Idempotent-Replayed", "true");
    res.status(out.action === "checkout" && !out.replayed ? 201 : 200).json(out);
  });

  r.get("/subscriptions", async (req, res) => {
    const subs = await userSubscriptions(ctx.ds.manager, currentUser(req).id);
    res.json({ data: await Promise.all(subs.map((s) => subscriptionView(ctx.ds.manager, s))), next_cursor: null });
  });

  r.post("/subscriptions/:id/cancel", async (req, res) => {
    res.json(await cancelSubscription(ctx, currentUser(req), req.params.id));
  });

  r.post("/billing/portal", async (req, res) => {
    res.json(await openBillingPortal(ctx, currentUser(req)));
  });

  // ------------------------------------------------------------ admin

  r.post("/admin/users/:id/plan", requireAdmin(), async (req, res) => {
    const { id } = parse(userIdParam, req.params, "path");
    const out = await adminPlans.assignPlan(ctx, id, parse(assignPlanBody, req.body).package_id);
    res.status(out.action === "assigned" ? 201 : 200).json(out);
  });

  r.delete("/admin/users/:id/plan", requireAdmin(), async (req, res) => {
    const { id } = parse(userIdParam, req.params, "path");
    res.json(await adminPlans.cancelAdminPlan(ctx, id));
  });

  r.get("/admin/users/:id/subscription", requireAdmin(), async (req, res) => {
    const { id } = parse(userIdParam, req.params, "path");
    res.json(await adminPlans.adminSubscriptionInfo(ctx, id));
  });

  r.post("/admin/promotions", requireAdmin(), async (req, res) => {
    res.status(201).json(promotionView(await createPromotion(ctx.ds.manager, parse(promotionBody, req.body))));
  });

  r.patch("/admin/promotions/:id", requireAdmin(), async (req, res) => {
    const { id } = parse(promotionIdParam, req.params, "path");
    res.json(promotionView(await updatePromotion(ctx.ds.manager, id, parse(promotionPatchBody, req.body))));
  });

  r.get("/admin/promotions", requireAdmin(), async (_req, res) => {
    res.json({ data: (await listPromotions(ctx.ds.manager)).map(promotionView), next_cursor: null });
  });

  return r;
}
