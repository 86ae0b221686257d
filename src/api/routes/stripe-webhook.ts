/**
 * Stripe's webhook (signed, no API key) and the page Checkout returns the
 * buyer to. Mounted before authentication and before the JSON parser: the
 * signature covers the exact raw bytes, so this route reads them itself.
 */
import express, { Router } from "express";
import { receiveStripeEvent } from "../../billing/webhook";
import type { AppContext } from "../../context";

/** Stripe events are small; this is far above any real one (bytes). */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export function stripeWebhookRouter(ctx: AppContext): Router {
  const r = Router();

  r.post("/webhooks/stripe", express.raw({ type: "application/json", limit: WEBHOOK_BODY_LIMIT }), async (req, res) => {
    const got = await receiveStripeEvent(ctx, req.body, req.get("stripe-signature"));
    res.json({ received: true, id: got.id, duplicate: got.duplicate });
  });

  r.get("/checkout/return", (req, res) => {
    const ok = req.query.result === "success";
    res.type("html").send(
      `<!doctype html><html><body style="font-family: sans-serif"><h1>${ok ? "Thank you" : "Checkout canceled"}</h1><p>${
        ok ? "Your payment went through. Credits appear in your balance within a few seconds." : "Nothing was charged."
      }</p></body></html>`,
    );
  });

  return r;
}
