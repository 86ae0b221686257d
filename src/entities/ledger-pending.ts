import { EntitySchema } from "typeorm";

export type PendingState = "pending" | "posted" | "voided" | "expired";

/** The state of one pending transfer (hold); changes exactly once away from `pending`. */
export interface LedgerPending {
  transferId: string;
  accountId: string;
  amount: string;
  state: PendingState;
  postedAmount: string;
  expiresAt: Date | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
}

export const LedgerPendingEntity = new EntitySchema<LedgerPending>({
  name: "LedgerPending",
  tableName: "ledger_pending",
  columns: {
    transferId: { name: "transfer_id", type: "uuid", primary: true },
    accountId: { name: "account_id", type: "uuid" },
    amount: { type: "bigint" },
    state: { type: "text", default: "pending" },
    postedAmount: { name: "posted_amount", type: "bigint", default: 0 },
    expiresAt: { name: "expires_at", type: "timestamptz", nullable: true },
    resolvedBy: { name: "resolved_by", type: "uuid", nullable: true },
    resolvedAt: { name: "resolved_at", type: "timestamptz", nullable: true },
  },
});
