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
import { Baseline1765000000000 } from "./migrations/1765000000000-Baseline";
import { Holds1765000000300 } from "./migrations/1765000000300-Holds";
import { DashboardSessions1765000000400 } from "./migrations/1765000000400-DashboardSessions";
import { DisputesAudit1765000000500 } from "./migrations/1765000000500-DisputesAudit";
import { KeysAlerts1765000000600 } from "./migrations/1765000000600-KeysAlerts";
import { Outages1765000000700 } from "./migrations/1765000000700-Outages";
import { SpendLimits1765000000800 } from "./migrations/1765000000800-SpendLimits";
import { Clawbacks1765000000900 } from "./migrations/1765000000900-Clawbacks";
import { BillingRest1765000001000 } from "./migrations/1765000001000-BillingRest";
import { BurnOrder1765000001200 } from "./migrations/1765000001200-BurnOrder";
import { SubscriptionReversals1765000001300 } from "./migrations/1765000001300-SubscriptionReversals";
import { AdmissionProbe1765000001500 } from "./migrations/1765000001500-AdmissionProbe";
import { SettleByKey1765000001600 } from "./migrations/1765000001600-SettleByKey";
import { ReversalsByCreditType1765000001700 } from "./migrations/1765000001700-ReversalsByCreditType";
import { WholeRowChecks1765000001900 } from "./migrations/1765000001900-WholeRowChecks";

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
  Baseline1765000000000,
  Holds1765000000300,
  DashboardSessions1765000000400,
  DisputesAudit1765000000500,
  KeysAlerts1765000000600,
  Outages1765000000700,
  SpendLimits1765000000800,
  Clawbacks1765000000900,
  BillingRest1765000001000,
  BurnOrder1765000001200,
  SubscriptionReversals1765000001300,
  AdmissionProbe1765000001500,
  SettleByKey1765000001600,
  ReversalsByCreditType1765000001700,
  WholeRowChecks1765000001900,
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
