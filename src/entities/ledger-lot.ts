import { EntitySchema } from "typeorm";

export type LotCategory = "subscription" | "purchase" | "promotional" | "admin" | "dispute";

/** A grant of credits with its own priority and optional expiry; `remaining` burns down. */
export interface LedgerLot {
  id: string;
  accountId: string;
  grantTransferId: string;
  category: LotCategory;
  priority: number;
  amount: string;
  remaining: string;
  expiresAt: Date | null;
  createdAt: Date;
}

export const LedgerLotEntity = new EntitySchema<LedgerLot>({
  name: "LedgerLot",
  tableName: "ledger_lots",
  columns: {
    id: { type: "uuid", primary: true, generated: "uuid" },
    accountId: { name: "account_id", type: "uuid" },
    grantTransferId: { name: "grant_transfer_id", type: "uuid" },
    category: { type: "text" },
    priority: { type: "int" },
    amount: { type: "bigint" },
    remaining: { type: "bigint" },
    expiresAt: { name: "expires_at", type: "timestamptz", nullable: true },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
  },
});
