import { EntitySchema } from "typeorm";

/** A promotion code for credit purchases: percent or fixed cents off, in a date window, with usage limits. */
export interface Promotion {
  id: string;
  code: string;
  description: string | null;
  kind: "percent" | "fixed";
  percentOff: number | null;
  amountOffCents: number | null;
  startsAt: Date | null;
  endsAt: Date | null;
  maxRedemptions: number | null;
  maxRedemptionsPerUser: number | null;
  /** Uses counted against maxRedemptions (reserved + redeemed); a CHECK keeps it ≤ maxRedemptions. */
  uses: number;
  minCredits: string | null;
  active: boolean;
  createdAt: Date;
}

export const PromotionEntity = new EntitySchema<Promotion>({
  name: "Promotion",
  tableName: "promotions",
  columns: {
    id: { type: "uuid", primary: true, generated: "uuid" },
    code: { type: "text" },
    description: { type: "text", nullable: true },
    kind: { type: "text" },
    percentOff: { name: "percent_off", type: "int", nullable: true },
    amountOffCents: { name: "amount_off_cents", type: "int", nullable: true },
    startsAt: { name: "starts_at", type: "timestamptz", nullable: true },
    endsAt: { name: "ends_at", type: "timestamptz", nullable: true },
    maxRedemptions: { name: "max_redemptions", type: "int", nullable: true },
    maxRedemptionsPerUser: { name: "max_redemptions_per_user", type: "int", nullable: true },
    uses: { type: "int", default: 0 },
    minCredits: { name: "min_credits", type: "bigint", nullable: true },
    active: { type: "boolean" },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
  },
});
