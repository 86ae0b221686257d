import { EntitySchema } from "typeorm";

/** Balances are bigint columns; pg returns them as strings, the ledger module converts. */
export interface LedgerAccount {
  id: string;
  kind: "user" | "system";
  userId: string | null;
  systemCode: "issuance" | "consumption" | "expiry" | "adjustment" | null;
  shard: number;
  creditType: string;
  creditsPosted: string;
  debitsPosted: string;
  creditsPending: string;
  debitsPending: string;
  createdAt: Date;
}

export const LedgerAccountEntity = new EntitySchema<LedgerAccount>({
  name: "LedgerAccount",
  tableName: "ledger_accounts",
  columns: {
    id: { type: "uuid", primary: true, generated: "uuid" },
    kind: { type: "text" },
    userId: { name: "user_id", type: "uuid", nullable: true },
    systemCode: { name: "system_code", type: "text", nullable: true },
    shard: { type: "smallint", default: 0 },
    creditType: { name: "credit_type", type: "text" },
    creditsPosted: { name: "credits_posted", type: "bigint", default: 0 },
    debitsPosted: { name: "debits_posted", type: "bigint", default: 0 },
    creditsPending: { name: "credits_pending", type: "bigint", default: 0 },
    debitsPending: { name: "debits_pending", type: "bigint", default: 0 },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
  },
});
