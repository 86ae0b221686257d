/**
 * Request schemas of the billing routes (purchases, subscriptions, plans,
 * promotions, alerts). Routes parse with these; `.meta({ id })` names them
 * for the OpenAPI document.
 */
import { z } from "zod";
import { UUID_RE } from "../lib/ids";
import { MAX_PURCHASE_CREDITS, MIN_PURCHASE_CREDITS } from "./purchase-pricing";

const httpUrl = z
  .string()
  .max(2000)
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === "https:" || u.protocol === "http:";
    } catch {
      return false;
    }
  }, "must be an http(s) URL");

const purchaseCredits = z
  .number({ error: "must be a number of credits" })
  .int("must be a whole number of credits")
  .min(MIN_PURCHASE_CREDITS, `must be at least ${MIN_PURCHASE_CREDITS}`)
  .max(MAX_PURCHASE_CREDITS, `must be at most ${MAX_PURCHASE_CREDITS}`);

const promoCode = z.string().trim().regex(/^[A-Za-z0-9_-]{2,40}$/, "must be 2–40 letters, digits, - or _");

export const quoteBody = z
  .object({ credits: purchaseCredits, promo_code: promoCode.optional() })
  .strict()
  .meta({ id: "PurchaseQuoteRequest" });

export const purchaseBody = z
  .object({
    credits: purchaseCredits,
    promo_code: promoCode.optional(),
    success_url: httpUrl.optional().meta({ description: "Where Stripe sends the buyer after paying ({CHECKOUT_SESSION_ID} is filled in)." }),
    cancel_url: httpUrl.optional().meta({ description: "Where Stripe sends the buyer who gives up." }),
  })
  .strict()
  .meta({ id: "PurchaseRequest" });

const packageRef = z.string().trim().min(1).max(64).meta({ description: "A package id (UUID) or code (starter, professional, enterprise)." });

export const subscribeBody = z
  .object({ package_id: packageRef, success_url: httpUrl.optional(), cancel_url: httpUrl.optional() })
  .strict()
  .meta({ id: "SubscribeRequest" });

export const assignPlanBody = z.object({ package_id: packageRef }).strict().meta({ id: "AssignPlanRequest" });

export const thresholdBody = z
  .object({
    threshold: z
      .number({ error: "must be a number of credits or null" })
      .int("must be a whole number of credits")
      .min(0, "must be 0 or more")
      .max(Number.MAX_SAFE_INTEGER)
      .nullable()
      .meta({ description: "Alert when the available balance falls below this; null restores the default (10% of the last grant, at least 10)." }),
  })
  .strict()
  .meta({ id: "LowCreditThresholdRequest" });

const isoDate = z.iso.datetime({ offset: true, error: "must be an ISO-8601 date-time, e.g. 2030-01-01T00:00:00Z" });

export const promotionBody = z
  .object({
    code: promoCode,
    description: z.string().trim().min(1).max(200).optional(),
    kind: z.enum(["percent", "fixed"]),
    percent_off: z.number().int().min(1).max(100).optional(),
    amount_off_cents: z.number().int().min(1).max(100_000_000).optional(),
    starts_at: isoDate.optional(),
    ends_at: isoDate.optional(),
    max_redemptions: z.number().int().min(1).optional(),
    max_redemptions_per_user: z
      .number()
      .int()
      .min(1)
      .nullable()
      .optional()
      .meta({ description: "Uses per user (reserved or paid checkouts). Default 1; null = no per-user limit." }),
    min_credits: z.number().int().min(1).optional(),
  })
  .strict()
  .superRefine((p, c) => {
    if (p.kind === "percent" && p.percent_off === undefined) c.addIssue({ code: "custom", path: ["percent_off"], message: "is required for a percent promotion" });
    if (p.kind === "fixed" && p.amount_off_cents === undefined) c.addIssue({ code: "custom", path: ["amount_off_cents"], message: "is required for a fixed promotion" });
    if (p.kind === "percent" && p.amount_off_cents !== undefined) c.addIssue({ code: "custom", path: ["amount_off_cents"], message: "only for a fixed promotion" });
    if (p.kind === "fixed" && p.percent_off !== undefined) c.addIssue({ code: "custom", path: ["percent_off"], message: "only for a percent promotion" });
    if (p.starts_at && p.ends_at && Date.parse(p.ends_at) <= Date.parse(p.starts_at)) c.addIssue({ code: "custom", path: ["ends_at"], message: "must be after starts_at" });
  })
  .meta({ id: "CreatePromotionRequest" });

export const promotionPatchBody = z
  .object({
    description: z.string().trim().min(1).max(200).nullable().optional(),
    ends_at: isoDate.nullable().optional(),
    max_redemptions: z.number().int().min(1).nullable().optional().meta({ description: "Total uses; null = unlimited. Cannot go below the uses already counted (400)." }),
    max_redemptions_per_user: z.number().int().min(1).nullable().optional().meta({ description: "Uses per user; null = no per-user limit." }),
    active: z.boolean().optional(),
  })
  .strict()
  .meta({ id: "UpdatePromotionRequest" });

export const promotionIdParam = z.object({ id: z.string().regex(UUID_RE, "must be a UUID") });

export const userIdParam = z.object({ id: z.string().regex(UUID_RE, "must be a UUID") });
