/**
 * Request and response schemas of the spend-limit routes (src/api/routes/limits.ts).
 * Routes parse with the request schemas; the OpenAPI document is generated
 * from the same objects, and the response schema is pinned to the service's type.
 */
import { z } from "zod";
import type { SpendLimitsView } from "../credits/spend-limits";

/** Whole credits, ≥ 0 (0 stops all spending), or null for none. */
const limit = z
  .number({ error: "must be a number of credits or null" })
  .int("must be a whole number of credits")
  .min(0, "must not be negative")
  .max(Number.MAX_SAFE_INTEGER, "is too large")
  .nullable();

export const updateLimitsBody = z
  .object({
    daily: limit.optional().meta({ description: "Credits you may spend per UTC day; null clears your own limit (an admin ceiling still applies)." }),
    monthly: limit.optional().meta({ description: "Credits you may spend per calendar month (UTC); null clears your own limit." }),
    low_credit_threshold: limit.optional().meta({ description: "Email me when my available balance falls below this; null: the default (10 % of the last grant, at least 10)." }),
  })
  .strict()
  .meta({ id: "UpdateSpendLimitsRequest" });

export const updateCeilingsBody = z
  .object({
    ceiling_daily: limit.optional().meta({ description: "Highest daily limit the user may set; null removes the ceiling. Below the user's limit, it lowers that limit." }),
    ceiling_monthly: limit.optional().meta({ description: "Highest monthly limit the user may set; null removes the ceiling." }),
    reason: z.string().trim().min(1).max(2000).optional().meta({ description: "Why, for the audit log." }),
  })
  .strict()
  .meta({ id: "UpdateSpendCeilingsRequest" });

const credits = z.number().int().nonnegative();

export const spendLimitsView = z
  .object({
    daily: credits.nullable().meta({ description: "The daily limit in force: yours, or the admin's ceiling if lower; null = none." }),
    monthly: credits.nullable().meta({ description: "The monthly limit in force; null = none." }),
    ceiling_daily: credits.nullable().meta({ description: "The admin's ceiling on your daily limit; null = none." }),
    ceiling_monthly: credits.nullable(),
    spent_today: credits.meta({ description: "Credits held or charged by holds placed this UTC day, less releases, refunds and dispute refunds." }),
    spent_this_month: credits.meta({ description: "The same for this calendar month (UTC)." }),
    low_credit_threshold: credits.nullable().meta({ description: "Your low-credit alert threshold; null = the default rule." }),
  })
  .meta({ id: "SpendLimits" }) satisfies z.ZodType<SpendLimitsView>;
