import { EntitySchema } from "typeorm";

export type CheckoutMode = "payment" | "subscription";
export type CheckoutStatus = "creating" | "open" | "complete" | "expired";

/**
 * A Stripe Checkout Session Holdfast created: a one-off credit purchase
 * (with its price breakdown, integer cents) or the start of a subscription.
 * Credits are granted only when Stripe reports the session paid.
 */
export interface Checkout {
  id: string;
  userId: string;
  mode: CheckoutMode;
  status: CheckoutStatus;
  credits: string | null;
  creditType: string;
  baseCents: number | null;
  bulkDiscountCents: number;
  subscriberDiscountCents: number;
  promoDiscountCents: number;
  totalCents: number | null;
  currency: string;
  promotionId: string | null;
  packageId: string | null;
  stripeSessionId: string | null;
  checkoutUrl: string | null;
  stripeSubscriptionId: string | null;
  grantTransferId: string | null;
  createdAt: Date;
  completedAt: Date | null;
  updatedAt: Date;
}

export const CheckoutEntity = new EntitySchema<Checkout>({
  name: "Checkout",
  tableName: "checkouts",
  columns: {
    id: { type: "uuid", primary: true },
    userId: { name: "user_id", type: "uuid" },
    mode: { type: "text" },
    status: { type: "text" },
    credits: { type: "bigint", nullable: true },
    creditType: { name: "credit_type", type: "text" },
    baseCents: { name: "base_cents", type: "int", nullable: true },
    bulkDiscountCents: { name: "bulk_discount_cents", type: "int" },
    subscriberDiscountCents: { name: "subscriber_discount_cents", type: "int" },
    promoDiscountCents: { name: "promo_discount_cents", type: "int" },
    totalCents: { name: "total_cents", type: "int", nullable: true },
    currency: { type: "text" },
    promotionId: { name: "promotion_id", type: "uuid", nullable: true },
    packageId: { name: "package_id", type: "uuid", nullable: true },
    stripeSessionId: { name: "stripe_session_id", type: "text", nullable: true },
    checkoutUrl: { name: "checkout_url", type: "text", nullable: true },
    stripeSubscriptionId: { name: "stripe_subscription_id", type: "text", nullable: true },
    grantTransferId: { name: "grant_transfer_id", type: "uuid", nullable: true },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
    completedAt: { name: "completed_at", type: "timestamptz", nullable: true },
    updatedAt: { name: "updated_at", type: "timestamptz", updateDate: true },
  },
});
