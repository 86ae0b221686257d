/**
 * Hook for spend limits (issue 14, not built yet). Holds and consume call it
 * inside their transaction, just before the ledger hold, so that once limits
 * exist they are checked under the same row locks as the hold and concurrent
 * holds cannot overshoot a limit. It must throw 402 `spend_limit_reached`
 * (details: period, limit, spent, required) when the hold would exceed one.
 */
import type { EntityManager } from "typeorm";

export interface SpendRequest {
  userId: string;
  creditType: string;
  credits: number;
}

export async function checkSpendLimits(_m: EntityManager, _r: SpendRequest): Promise<void> {
  // No limits yet: issue 14 fills this in.
}
