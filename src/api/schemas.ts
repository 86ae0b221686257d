/**
 * Request schemas: what every route of the jobs, credits and admin areas
 * accepts. Routes parse with these and the OpenAPI document is generated from
 * the very same objects, so the docs cannot drift from the validation.
 *
 * `.meta({ id })` names a schema as an OpenAPI component; zod-to-openapi v8+
 * reads zod 4's own metadata, so no prototype patching (extendZodWithOpenApi)
 * is needed anywhere.
 */
import { z } from "zod";
import type { TransactionType } from "../entities/ledger-transfer";
import { listQuery } from "../jobs/service";
import { UUID_RE } from "../lib/ids";
import { DEFAULT_LIMIT, MAX_LIMIT } from "../lib/pagination";
import { DEFAULT_CREDIT_TYPE } from "../ledger/types";
import { ALERT_TYPES } from "../alerts/raise";

/** Whole credits, > 0, small enough to stay exact in a JavaScript number. */
export const creditAmount = z
  .number({ error: "must be a number of credits" })
  .int("must be a whole number of credits")
  .positive("must be positive")
  .max(Number.MAX_SAFE_INTEGER, "is too large");

/** The ledger's credit type names (the same rule as the ledger_accounts CHECK). */
export const creditType = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, "must be 1–32 lowercase letters, digits or _, starting with a letter")
  .meta({ description: `Credit type (default "${DEFAULT_CREDIT_TYPE}").`, example: DEFAULT_CREDIT_TYPE });

/** Lenient about the UUID version (ids derived with md5 are not v4), strict about the shape. */
export const uuid = z.string().regex(UUID_RE, "must be a UUID").meta({ format: "uuid" });

// ---------------------------------------------------------------- jobs

export const estimateBody = z
  .object({
    kind: z.string().min(1).max(100).meta({ description: "A job kind this deployment runs (see the Job kinds section)." }),
    input: z.unknown().meta({ description: "The kind's input; validated by the kind's own schema." }),
  })
  .strict()
  .meta({ id: "EstimateRequest" });

export const submitBody = z
  .object({
    kind: z.string().min(1).max(100).meta({ description: "A job kind this deployment runs." }),
    input: z.unknown().meta({ description: "The kind's input; validated by the kind's own schema." }),
    max_credits: creditAmount.optional().meta({ description: "Refuse (402) if the estimate is higher than this." }),
    credit_amount: creditAmount.optional().meta({ description: "Admins only: hold and charge at most this many credits instead of the estimate." }),
  })
  .strict()
  .meta({ id: "SubmitJobRequest" });

/** GET /jobs query (the service owns the shape; it is re-exported here for routes and docs). */
export const listJobsQuery = listQuery;

export const idParam = z.object({ id: z.string().meta({ description: "A UUID.", format: "uuid" }) });

export const idempotencyHeader = z.object({
  "Idempotency-Key": z.string().min(1).max(255).optional().meta({
    description: "Makes the call safe to retry: the same key and body answers with what the first call made (as it is now, with the header `Idempotent-Replayed: true`) and changes nothing more; the same key with another body is 409.",
  }),
});

// ---------------------------------------------------------------- lists

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT).meta({ description: `Page size (default ${DEFAULT_LIMIT}, max ${MAX_LIMIT}).` }),
  cursor: z.string().max(500).optional().meta({ description: "`next_cursor` of the previous page." }),
});

const TRANSACTION_TYPES = ["grant", "purchase", "subscription", "hold", "charge", "release", "refund", "expire", "adjustment", "dispute_refund", "clawback", "capture", "consume"] as const satisfies readonly TransactionType[];
export const transactionType = z.enum(TRANSACTION_TYPES);

export const transactionsQuery = pageQuery.extend({
  type: transactionType.optional(),
  job_id: uuid.optional().meta({ description: "Only this job's transactions." }),
});

// ---------------------------------------------------------------- credits

export const balanceQuery = z.object({
  credit_type: creditType.optional(),
});

export const summaryQuery = z.object({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be YYYY-MM")
    .optional()
    .meta({ description: "Calendar month in UTC, YYYY-MM (default: the current month).", example: "2025-06" }),
});

// ---------------------------------------------------------------- admin

export const systemSpendQuery = z.object({
  days: z.coerce.number().int().min(1).max(90).default(30).meta({ description: "How many UTC days, today included (default 30, max 90)." }),
});

export const createUserBody = z
  .object({
    email: z.string().trim().max(320).pipe(z.email("must be an email address")),
    name: z.string().trim().min(1).max(200).optional(),
    role: z.enum(["user", "admin", "service"]).default("user").meta({ description: "`service`: an application's key that may act for users by passing `user_id`." }),
  })
  .strict()
  .meta({ id: "CreateUserRequest" });

export const addCreditsBody = z
  .object({
    user_id: uuid,
    amount: creditAmount,
    credit_type: creditType.default(DEFAULT_CREDIT_TYPE),
    description: z.string().trim().min(1, "is required").max(500),
    expires_at: z.iso
      .datetime({ offset: true, error: "must be an ISO-8601 date-time, e.g. 2030-01-01T00:00:00Z" })
      .optional()
      .meta({ description: "When the unspent part of this grant expires (default: never)." }),
    reason: z.string().trim().min(1).max(2000).optional().meta({ description: "Why, for the audit log (default: the description)." }),
  })
  .strict()
  .meta({ id: "AddCreditsRequest" });

export const removeCreditsBody = z
  .object({
    user_id: uuid,
    amount: creditAmount,
    credit_type: creditType.default(DEFAULT_CREDIT_TYPE),
    description: z.string().trim().min(1, "is required").max(500),
    reason: z.string().trim().min(1).max(2000).optional().meta({ description: "Why, for the audit log (default: the description)." }),
  })
  .strict()
  .meta({ id: "RemoveCreditsRequest" });

export const userIdBody = z
  .object({ user_id: uuid, reason: z.string().trim().max(500).optional().meta({ description: "Why (for the audit log)." }) })
  .strict()
  .meta({ id: "UserIdRequest" });

/** Pause / resume: the user and, for the audit log, why. */
export const creditStatusBody = z
  .object({ user_id: uuid, reason: z.string().trim().min(1).max(2000).optional().meta({ description: "Why, for the audit log." }) })
  .strict()
  .meta({ id: "CreditStatusRequest" });

/** POST /admin/users/:id/forgive: why the debt is cleared (required: it is audited). */
export const forgiveBody = z
  .object({ reason: z.string().trim().min(1, "is required").max(2000).meta({ description: "Why the debt is forgiven, for the audit log." }) })
  .strict()
  .meta({ id: "ForgiveDebtRequest" });

export const listUsersQuery = pageQuery.extend({
  status: z.enum(["active", "paused"]).optional().meta({ description: "Only users whose credit service is in this state." }),
  q: z.string().trim().min(1).max(200).optional()
    .meta({ description: "Search: part of the email or name (case-insensitive), or the start of the user id." }),
});

// ---------------------------------------------------------------- keys

export const createKeyBody = z
  .object({
    name: z.string().trim().min(1, "must not be empty").max(100).meta({ description: "What the key is for, e.g. `ci` or `billing-backend`." }),
  })
  .strict()
  .meta({ id: "CreateApiKeyRequest" });

/** Any string: a malformed id is the same 404 as an unknown one. */
export const keyIdParam = z.object({ id: z.string().meta({ description: "The key's id (a UUID).", format: "uuid" }) });

// ---------------------------------------------------------------- alerts

export const alertsQuery = pageQuery.extend({
  type: z.enum(ALERT_TYPES).optional().meta({ description: "Only alerts of this type." }),
  user_id: uuid.optional().meta({ description: "Only alerts about this user." }),
});
