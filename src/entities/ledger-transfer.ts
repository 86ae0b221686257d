import { EntitySchema } from "typeorm";

export type TransferKind = "plain" | "pending" | "post" | "void";
/**
 * The user-facing transaction types of API.md. `capture` and `consume` are
 * never stored: the history shows a `charge` of a holds-API hold as `capture`
 * and of POST /credits/consume as `consume` (src/credits/history.ts).
 */
export type TransactionType =
  | "grant" | "purchase" | "subscription" | "hold" | "charge" | "release" | "refund" | "expire" | "adjustment"
  | "dispute_refund" | "clawback"
  | "capture" | "consume";

/** Immutable; written only by the ledger's SQL functions. */
export interface LedgerTransfer {
  id: string;
  kind: TransferKind;
  type: TransactionType;
  debitAccountId: string;
  creditAccountId: string;
  amount: string;
  creditType: string;
  pendingId: string | null;
  userId: string | null;
  jobId: string | null;
  description: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: Date;
}

export const LedgerTransferEntity = new EntitySchema<LedgerTransfer>({
  name: "LedgerTransfer",
  tableName: "ledger_transfers",
  columns: {
    id: { type: "uuid", primary: true },
    kind: { type: "text" },
    type: { type: "text" },
    debitAccountId: { name: "debit_account_id", type: "uuid" },
    creditAccountId: { name: "credit_account_id", type: "uuid" },
    amount: { type: "bigint" },
    creditType: { name: "credit_type", type: "text" },
    pendingId: { name: "pending_id", type: "uuid", nullable: true },
    userId: { name: "user_id", type: "uuid", nullable: true },
    jobId: { name: "job_id", type: "uuid", nullable: true },
    description: { type: "text", nullable: true },
    metadata: { type: "jsonb", nullable: true },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
  },
});
