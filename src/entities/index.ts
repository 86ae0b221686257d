/** Every entity and migration, listed explicitly (no globs: works the same from src/ and dist/). */
import { ApiKeyEntity } from "./api-key";
import { JobEntity } from "./job";
import { LedgerAccountEntity } from "./ledger-account";
import { LedgerLotEntity } from "./ledger-lot";
import { LedgerPendingEntity } from "./ledger-pending";
import { LedgerTransferEntity } from "./ledger-transfer";
import { UserEntity } from "./user";
import { Foundation1764000000000 } from "./migrations/1764000000000-Foundation";

export const entities = [
  UserEntity,
  ApiKeyEntity,
  LedgerAccountEntity,
  LedgerTransferEntity,
  LedgerPendingEntity,
  LedgerLotEntity,
  JobEntity,
];

export const migrations = [Foundation1764000000000];

export * from "./api-key";
export * from "./job";
export * from "./ledger-account";
export * from "./ledger-lot";
export * from "./ledger-pending";
export * from "./ledger-transfer";
export * from "./user";
