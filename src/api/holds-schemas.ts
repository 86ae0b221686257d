/** Request schemas of the holds API and consume/check (parsed by the routes, documented from the same objects). */
import { z } from "zod";
import { HOLD_STATUSES } from "../holds/view";
import { DEFAULT_CREDIT_TYPE } from "../ledger/types";
import { actingUserId } from "./acting-user";
import { balanceQuery, creditAmount, creditType, pageQuery, transactionsQuery } from "./schemas";

/** A hold's default and longest life, in seconds. */
export const DEFAULT_TTL_SECONDS = 3600;
export const MAX_TTL_SECONDS = 86_400;

const description = z.string().trim().min(1, "must not be empty").max(500);
/** Free-form JSON object for the caller's own bookkeeping, returned as given (at most 8 KB). */
const metadata = z
  .record(z.string(), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 8192, "must be at most 8 KB as JSON")
  .meta({ description: "Your own JSON object, returned as given (at most 8 KB)." });

export const createHoldBody = z
  .object({
    credits: creditAmount.meta({ description: "Credits to reserve." }),
    credit_type: creditType.default(DEFAULT_CREDIT_TYPE),
    ttl_seconds: z.number().int("must be whole seconds").min(1).max(MAX_TTL_SECONDS)
      .default(DEFAULT_TTL_SECONDS).meta({ description: `Seconds until the hold expires and is released (default ${DEFAULT_TTL_SECONDS}, max ${MAX_TTL_SECONDS}).` }),
    description: description.optional(),
    metadata: metadata.optional(),
    user_id: actingUserId,
  })
  .strict()
  .meta({ id: "CreateHoldRequest" });

export const captureHoldBody = z
  .object({
    credits: creditAmount.optional().meta({ description: "Credits to charge, 1…held (default: all held); the rest is released." }),
    description: description.optional(),
    user_id: actingUserId,
  })
  .strict()
  .meta({ id: "CaptureHoldRequest" });

export const releaseHoldBody = z.object({ user_id: actingUserId }).strict().meta({ id: "ReleaseHoldRequest" });

export const listHoldsQuery = pageQuery.extend({
  status: z.enum(HOLD_STATUSES).optional(),
  user_id: actingUserId,
});

export const userQuery = z.object({ user_id: actingUserId });

export const consumeBody = z
  .object({
    credits: creditAmount.meta({ description: "Credits to charge now." }),
    credit_type: creditType.default(DEFAULT_CREDIT_TYPE),
    description,
    metadata: metadata.optional(),
    user_id: actingUserId,
  })
  .strict()
  .meta({ id: "ConsumeRequest" });

export const checkQuery = z.object({
  credits: z.coerce.number({ error: "must be a number of credits" }).int("must be a whole number of credits")
    .positive("must be positive").max(Number.MAX_SAFE_INTEGER).meta({ description: "Credits the caller wants to spend." }),
  credit_type: creditType.optional(),
  user_id: actingUserId,
});

/** GET /credits/balance and /credits/transactions with ★ `user_id`. */
export const actingBalanceQuery = balanceQuery.extend({ user_id: actingUserId });
export const actingTransactionsQuery = transactionsQuery.extend({ user_id: actingUserId });
