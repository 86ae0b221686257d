export { HoldfastClient, type HoldfastClientOptions, type Progress, isFinal } from "./client.js";
export { HoldfastError, InsufficientCreditsError } from "./errors.js";
export {
  consumeCredits, consumeCreditsBatch, requireCredits, creditAware,
  type ConsumeOptions, type BatchOptions, type CreditAwareOptions, type Meter,
} from "./wrappers.js";
export { holdfastMeter, HOLD, type MeterOptions } from "./middleware.js";
export type * from "./types.js";
