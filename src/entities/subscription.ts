import { EntitySchema } from "typeorm";

export type SubscriptionSource = "stripe" | "admin";
export type SubscriptionStatus = "incomplete" | "incomplete_expired" | "trialing" | "active" | "past_due" | "unpaid" | "paused" | "canceled";
/** Statuses in which a subscription still renews and counts as the user's plan. */
export const LIVE_SUBSCRIPTION_STATUSES: readonly SubscriptionStatus[] = ["trialing", "active", "past_due", "unpaid", "paused"];

/** A user's plan: paid through Stripe, or assigned by an admin (invoiced customers). */
export interface Subscription {
  id: string;
  userId: string;
  packageId: string;
  /** A downgrade that takes effect at the period's end. */
  pendingPackageId: string | null;
  source: SubscriptionSource;
  status: SubscriptionStatus;
  stripeSubscriptionId: string | null;
  stripeCustomerId: string | null;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  /** Admin plans: period n starts at anchor + n calendar months. */
  billingAnchor: Date;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  endedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const SubscriptionEntity = new EntitySchema<Subscription>({
  name: "Subscription",
  tableName: "subscriptions",
  columns: {
    id: { type: "uuid", primary: true, generated: "uuid" },
    userId: { name: "user_id", type: "uuid" },
    packageId: { name: "package_id", type: "uuid" },
    pendingPackageId: { name: "pending_package_id", type: "uuid", nullable: true },
    source: { type: "text" },
    status: { type: "text" },
    stripeSubscriptionId: { name: "stripe_subscription_id", type: "text", nullable: true },
    stripeCustomerId: { name: "stripe_customer_id", type: "text", nullable: true },
    currentPeriodStart: { name: "current_period_start", type: "timestamptz" },
    currentPeriodEnd: { name: "current_period_end", type: "timestamptz" },
    billingAnchor: { name: "billing_anchor", type: "timestamptz" },
    cancelAtPeriodEnd: { name: "cancel_at_period_end", type: "boolean" },
    canceledAt: { name: "canceled_at", type: "timestamptz", nullable: true },
    endedAt: { name: "ended_at", type: "timestamptz", nullable: true },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
    updatedAt: { name: "updated_at", type: "timestamptz", updateDate: true },
  },
});
