/** Every entity and migration, listed explicitly (no globs: works the same from src/ and dist/). */
import { ApiKeyEntity } from "./api-key";
import { JobEntity } from "./job";
import { LedgerAccountEntity } from "./ledger-account";
import { LedgerLotEntity } from "./ledger-lot";
import { LedgerPendingEntity } from "./ledger-pending";
import { LedgerTransferEntity } from "./ledger-transfer";
import { UserEntity } from "./user";
import { BatchEntity } from "./batch";
import { FileEntity } from "./file";
import { CheckoutEntity } from "./checkout";
import { NotificationEntity } from "./notification";
import { PackageEntity } from "./package";
import { PromotionEntity } from "./promotion";
import { StripeEventEntity } from "./stripe-event";
import { SubscriptionEntity } from "./subscription";
import { Foundation1764000000000 } from "./migrations/1764000000000-Foundation";
import { Files1764000000200 } from "./migrations/1764000000200-Files";
import { Billing1764000000300 } from "./migrations/1764000000300-Billing";
import { LedgerFastPath1764000000400 } from "./migrations/1764000000400-LedgerFastPath";
import { BatchedHolds1764000000500 } from "./migrations/1764000000500-BatchedHolds";
import { BatchedSettlements1764000000600 } from "./migrations/1764000000600-BatchedSettlements";
import { SetBasedBatches1764000000700 } from "./migrations/1764000000700-SetBasedBatches";
import { CompiledChecks1764000000800 } from "./migrations/1764000000800-CompiledChecks";
import { KeysAlerts1765000000600 } from "./migrations/1765000000600-KeysAlerts";

export const entities = [
  UserEntity,
  ApiKeyEntity,
  LedgerAccountEntity,
  LedgerTransferEntity,
  LedgerPendingEntity,
  LedgerLotEntity,
  JobEntity,
  FileEntity,
  BatchEntity,
  PackageEntity, PromotionEntity, CheckoutEntity, SubscriptionEntity, StripeEventEntity, NotificationEntity,
];

export const migrations = [
  Foundation1764000000000,
  Files1764000000200,
  Billing1764000000300,
  LedgerFastPath1764000000400,
  BatchedHolds1764000000500,
  BatchedSettlements1764000000600,
  SetBasedBatches1764000000700,
  CompiledChecks1764000000800,
  KeysAlerts1765000000600,
];

export * from "./api-key";
export * from "./batch";
export * from "./checkout";
export * from "./file";
export * from "./job";
export * from "./ledger-account";
export * from "./ledger-lot";
export * from "./ledger-pending";
export * from "./ledger-transfer";
export * from "./user";
export * from "./notification";
export * from "./package";
export * from "./promotion";
export * from "./stripe-event";
export * from "./subscription";
