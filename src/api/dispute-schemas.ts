/**
 * Request and response schemas of the disputes and audit routes. Routes parse
 * with the request schemas; the OpenAPI document is generated from the same
 * objects, and the response schemas are pinned to the services' types below.
 */
import { z } from "zod";
import type { AuditEntry } from "../audit/audit-log";
import type { DisputeStats } from "../disputes/stats";
import { DISPUTE_REASONS, DISPUTE_STATUSES, type DisputeView } from "../disputes/view";
import type { JobDispute } from "../jobs/view";
import type { Page } from "../lib/pagination";
import { page } from "./response-schemas";
import { creditAmount, pageQuery, uuid } from "./schemas";

const note = z.string().trim().min(1, "is required").max(2000);

export const openDisputeBody = z
  .object({
    job_id: uuid.optional().meta({ description: "The job disputed (its charge). Give this or `transaction_id`." }),
    transaction_id: uuid.optional().meta({ description: "A charge transaction disputed. Give this or `job_id`." }),
    reason: z.enum(DISPUTE_REASONS),
    description: z.string().trim().min(1, "is required").max(2000).meta({ description: "What went wrong, in your words." }),
  })
  .strict()
  .refine((b) => (b.job_id === undefined) !== (b.transaction_id === undefined), {
    message: "give exactly one of job_id and transaction_id",
    path: ["job_id"],
  })
  .meta({ id: "OpenDisputeRequest" });

export const disputeListQuery = pageQuery.extend({
  status: z.enum(DISPUTE_STATUSES).optional().meta({ description: "Only disputes in this status." }),
});

export const adminDisputeListQuery = disputeListQuery.extend({
  user_id: uuid.optional().meta({ description: "Only this user's disputes." }),
});

export const reviewDisputeBody = z
  .object({ note: note.optional().meta({ description: "Shown to the user as the admin note; recorded in the audit log." }) })
  .strict()
  .meta({ id: "ReviewDisputeRequest" });

export const resolveDisputeBody = z
  .object({
    outcome: z.enum(["refund", "reject"]),
    credits: creditAmount.optional().meta({ description: "Refunds only: 1 … disputed_credits (default: all disputed)." }),
    note: note.meta({ description: "Why; shown to the user and recorded in the audit log." }),
  })
  .strict()
  .meta({ id: "ResolveDisputeRequest" });

export const auditQuery = pageQuery.extend({
  user_id: uuid.optional().meta({ description: "Only actions on this user." }),
  actor_id: uuid.optional().meta({ description: "Only actions by this admin." }),
  action: z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, "must be an action name like credits.add").optional()
    .meta({ description: "Only this action (`credits.add`, `credits.remove`, `credits.pause`, `credits.resume`, `dispute.review`, `dispute.resolve`, …)." }),
});

// ------------------------------------------------ responses

const int = z.number().int().min(0);
const isoTime = z.iso.datetime();
const id = z.string().meta({ format: "uuid" });

export const disputeView = z
  .object({
    id,
    user_id: id,
    status: z.enum(DISPUTE_STATUSES),
    job_id: id.nullable(),
    transaction_id: id.nullable(),
    disputed_credits: int.meta({ description: "What the item was charged (less what earlier disputes of it gave back)." }),
    reason: z.enum(DISPUTE_REASONS),
    description: z.string(),
    outcome: z.enum(["refunded", "rejected"]).nullable(),
    refunded_credits: int,
    admin_note: z.string().nullable(),
    created_at: isoTime,
    updated_at: isoTime,
    resolved_at: isoTime.nullable(),
  })
  .meta({ id: "Dispute" });

export const disputesPage = page(disputeView, "DisputePage");

export const jobDisputeView = z
  .object({ id, status: z.enum(DISPUTE_STATUSES), outcome: z.enum(["refunded", "rejected"]).nullable(), disputed_credits: int, refunded_credits: int })
  .meta({ id: "JobDispute", description: "The job's newest dispute." });

export const disputeStatsView = z
  .object({
    by_status: z.object({ open: int, under_review: int, resolved: int }),
    by_outcome: z.object({ refunded: int, rejected: int }),
    refunded_credits: int,
    median_hours_to_resolve: z.number().nullable().meta({ description: "Median hours from opening to resolution; null when none is resolved." }),
    top_reasons: z.array(z.object({ reason: z.enum(DISPUTE_REASONS), count: int })),
  })
  .meta({ id: "DisputeStats" });

export const auditEntryView = z
  .object({
    id,
    actor_id: id.nullable().meta({ description: "The admin who acted." }),
    action: z.string(),
    user_id: id.nullable().meta({ description: "The user acted on." }),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
    reason: z.string().nullable(),
    request_id: z.string().nullable().meta({ description: "The X-Request-Id of the request that did it." }),
    created_at: isoTime,
  })
  .meta({ id: "AuditEntry" });

export const auditPage = page(auditEntryView, "AuditPage");

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Pinned<T extends true> = T;
type _DocsMatchServices = [
  Pinned<Same<z.infer<typeof disputeView>, DisputeView>>,
  Pinned<Same<z.infer<typeof disputesPage>, Page<DisputeView>>>,
  Pinned<Same<z.infer<typeof jobDisputeView>, JobDispute>>,
  Pinned<Same<z.infer<typeof disputeStatsView>, DisputeStats>>,
  Pinned<Same<z.infer<typeof auditEntryView>, AuditEntry>>,
];
