/** OpenAPI for disputes (users and admins) and the admin audit log. */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import {
  adminDisputeListQuery, auditPage, auditQuery, disputeListQuery, disputesPage, disputeStatsView, disputeView,
  openDisputeBody, resolveDisputeBody, reviewDisputeBody,
} from "../dispute-schemas";
import { API_BASE, documentRoute } from "../openapi-kit";
import { idempotencyHeader } from "../schemas";

const TAG = "Disputes";
const REPLAYED = {
  "Idempotent-Replayed": { description: "`true` when this is a replay of an earlier request with the same Idempotency-Key.", schema: { type: "string" as const } },
};

export function disputesDocs(registry: OpenAPIRegistry): void {
  documentRoute(registry, {
    method: "post", path: `${API_BASE}/disputes`, tags: [TAG], auth: "key", credits: 0,
    summary: "Dispute a charge",
    description: [
      "Dispute what one of your jobs (`job_id`) or one of your charge transactions (`transaction_id`) was charged; `disputed_credits` is that charge.",
      "Something that charged nothing is 400; another user's job or transaction is 404; an item that already has a dispute that is not resolved is 409 `invalid_state` (a job and its charge transaction are the same item).",
      "You get an email now and at each change of status. With `Idempotency-Key`, a retried call opens only one dispute.",
    ].join(" "),
    headers: idempotencyHeader,
    body: openDisputeBody,
    response: { status: 201, description: "The dispute, `open`.", schema: disputeView, headers: REPLAYED },
    errors: ["invalid_request", "not_found", "invalid_state", "idempotency_conflict"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/disputes`, tags: [TAG], auth: "key", credits: 0,
    summary: "List your disputes", description: "Newest first.", query: disputeListQuery,
    response: { status: 200, description: "A page of disputes.", schema: disputesPage }, errors: ["invalid_request"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/disputes/:id`, tags: [TAG], auth: "key", credits: 0,
    summary: "Get a dispute", description: "Your own; admins may read any.",
    response: { status: 200, description: "The dispute.", schema: disputeView }, errors: ["not_found"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/disputes`, tags: [TAG], auth: "admin", credits: 0,
    summary: "List all disputes", description: "Newest first; filter by `status` and `user_id`.", query: adminDisputeListQuery,
    response: { status: 200, description: "A page of disputes.", schema: disputesPage }, errors: ["invalid_request"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/disputes/stats`, tags: [TAG], auth: "admin", credits: 0,
    summary: "Dispute statistics", description: "Counts by status and outcome, credits refunded, the median time to resolve, the most frequent reasons.",
    response: { status: 200, description: "The numbers.", schema: disputeStatsView }, errors: [],
  });
  documentRoute(registry, {
    method: "post", path: `${API_BASE}/admin/disputes/:id/review`, tags: [TAG], auth: "admin", credits: 0,
    summary: "Start reviewing a dispute",
    description: "`open` → `under_review`; any other status is 409 `invalid_state` (of concurrent calls exactly one succeeds). Emails the user; recorded in the audit log.",
    body: reviewDisputeBody,
    response: { status: 200, description: "The dispute, `under_review`.", schema: disputeView },
    errors: ["invalid_request", "not_found", "invalid_state"],
  });
  documentRoute(registry, {
    method: "post", path: `${API_BASE}/admin/disputes/:id/resolve`, tags: [TAG], auth: "admin",
    credits: "none to the caller; a refund gives `credits` back to the user (a `dispute_refund` transaction).",
    summary: "Resolve a dispute",
    description: [
      "`outcome: refund` gives back `credits` (1 … `disputed_credits`, default all; more is 400) in one `dispute_refund` transaction, linked to the job, whose id is derived from the dispute's — it happens once;",
      "`outcome: reject` gives back nothing. A dispute already resolved is 409 `invalid_state`: of concurrent resolves exactly one succeeds.",
      "With `Idempotency-Key`, a replay answers with the resolved dispute and changes nothing. Emails the user; recorded in the audit log with the balance before and after.",
    ].join(" "),
    headers: idempotencyHeader,
    body: resolveDisputeBody,
    response: { status: 200, description: "The dispute, `resolved`.", schema: disputeView, headers: REPLAYED },
    errors: ["invalid_request", "not_found", "invalid_state", "idempotency_conflict"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/audit`, tags: ["Admin"], auth: "admin", credits: 0,
    summary: "The admin audit log",
    description: "Every admin credit action (add, remove, pause, resume, dispute review and resolution, …), newest first: who, what, on which user, before and after, why, and the request's X-Request-Id. Written in the same transaction as the action.",
    query: auditQuery,
    response: { status: 200, description: "A page of audit entries.", schema: auditPage }, errors: ["invalid_request"],
  });
}
