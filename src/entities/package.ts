import { EntitySchema } from "typeorm";

/** A subscription plan (seeded by the Billing migration). Money in integer cents. */
export interface Package {
  id: string;
  code: string;
  name: string;
  description: string | null;
  priceCents: number;
  currency: string;
  interval: "month";
  /** bigint as a string (pg). */
  credits: string;
  creditType: string;
  features: string[];
  /** false: a period's credits expire at its end; true: they never expire. */
  rollover: boolean;
  purchaseDiscountPercent: number;
  stripePriceId: string | null;
  active: boolean;
  sortOrder: number;
  createdAt: Date;
}

export const PackageEntity = new EntitySchema<Package>({
  name: "Package",
  tableName: "packages",
  columns: {
    id: { type: "uuid", primary: true },
    code: { type: "text" },
    name: { type: "text" },
    description: { type: "text", nullable: true },
    priceCents: { name: "price_cents", type: "int" },
    currency: { type: "text" },
    interval: { type: "text" },
    credits: { type: "bigint" },
    creditType: { name: "credit_type", type: "text" },
    features: { type: "jsonb" },
    rollover: { type: "boolean" },
    purchaseDiscountPercent: { name: "purchase_discount_percent", type: "int" },
    stripePriceId: { name: "stripe_price_id", type: "text", nullable: true },
    active: { type: "boolean" },
    sortOrder: { name: "sort_order", type: "int" },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
  },
});
