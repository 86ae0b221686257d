import { EntitySchema } from "typeorm";

/** A verified Stripe webhook event; processed once (processed_at set with its effect). */
export interface StripeEventRow {
  id: string;
  type: string;
  livemode: boolean;
  payload: unknown;
  stripeCreatedAt: Date | null;
  receivedAt: Date;
  processedAt: Date | null;
  /** What processing did ("granted", "ignored", …), for operators. */
  outcome: string | null;
  attempts: number;
  lastError: string | null;
}

export const StripeEventEntity = new EntitySchema<StripeEventRow>({
  name: "StripeEvent",
  tableName: "stripe_events",
  columns: {
    id: { type: "text", primary: true },
    type: { type: "text" },
    livemode: { type: "boolean" },
    payload: { type: "jsonb" },
    stripeCreatedAt: { name: "stripe_created_at", type: "timestamptz", nullable: true },
    receivedAt: { name: "received_at", type: "timestamptz", createDate: true },
    processedAt: { name: "processed_at", type: "timestamptz", nullable: true },
    outcome: { type: "text", nullable: true },
    attempts: { type: "int" },
    lastError: { name: "last_error", type: "text", nullable: true },
  },
});
