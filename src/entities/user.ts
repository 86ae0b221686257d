import { EntitySchema } from "typeorm";

/** `service`: an application's key that may act for users by passing `user_id` (see src/api/acting-user.ts). */
export type Role = "user" | "admin" | "service";
export type CreditStatus = "active" | "paused";

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  creditStatus: CreditStatus;
  /** Low-credit email threshold in credits; null = the default rule. */
  lowCreditThreshold: string | null;
  /**
   * Why the credit service is paused: `admin: <reason>`, or `chargeback:<Stripe dispute id>` (src/billing/clawbacks.ts).
   * Read by authentication (findUserByKeyHash) only; not an entity column, so the entity also loads schemas before the
   * Clawbacks migration (test/db/baseline.test.ts writes users into one).
   */
  pauseReason?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const UserEntity = new EntitySchema<User>({
  name: "User",
  tableName: "users",
  columns: {
    id: { type: "uuid", primary: true, generated: "uuid" },
    email: { type: "text" },
    name: { type: "text", nullable: true },
    role: { type: "text", default: "user" },
    creditStatus: { name: "credit_status", type: "text", default: "active" },
    lowCreditThreshold: { name: "low_credit_threshold", type: "bigint", nullable: true },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
    updatedAt: { name: "updated_at", type: "timestamptz", updateDate: true },
  },
});
