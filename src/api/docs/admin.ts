/** OpenAPI for the admin routes (role admin; 403 forbidden for other keys). */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { API_BASE, documentRoute } from "../openapi-kit";
import { spendLimitsView } from "../limits-schemas";
import { adminCreditsResult, adminUserCreated, adminUserDetail, balanceView, forgiveResult, monthlySummaryView, systemSpendView, systemSummaryView, transactionsPage, userView, usersPage } from "../response-schemas";
import { addCreditsBody, balanceQuery, createUserBody, creditStatusBody, forgiveBody, idempotencyHeader, listUsersQuery, removeCreditsBody, summaryQuery, systemSpendQuery, transactionsQuery } from "../schemas";

const TAG = "Admin";

export function adminDocs(registry: OpenAPIRegistry): void {
  documentRoute(registry, {
    method: "post", path: `${API_BASE}/admin/users`, tags: [TAG], auth: "admin", credits: 0,
    summary: "Create a user", description: "Answers with the user's API key; this is the only time it is shown. An email that is taken (case-insensitive) is 409 `invalid_state`.",
    body: createUserBody,
    response: { status: 201, description: "Created.", schema: adminUserCreated },
    errors: ["invalid_request", "invalid_state"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/users`, tags: [TAG], auth: "admin", credits: 0,
    summary: "List users", description: "Newest first; `status` filters by credit service state.",
    query: listUsersQuery,
    response: { status: 200, description: "A page of users.", schema: usersPage },
    errors: ["invalid_request"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/users/:id`, tags: [TAG], auth: "admin", credits: 0,
    summary: "Get a user",
    description: "With `pause_reason` (an admin's, or `chargeback:<dispute id>` while a Stripe chargeback is open), `debt` (credits owed after refunds or lost chargebacks) and `frozen` (credits frozen by open chargebacks).",
    response: { status: 200, description: "The user.", schema: adminUserDetail },
    errors: ["not_found"],
  });
  documentRoute(registry, {
    method: "post", path: `${API_BASE}/admin/users/:id/forgive`, tags: [TAG], auth: "admin", credits: 0,
    summary: "Forgive a user's debt",
    description:
      "Clears every outstanding debt of the user (credits a Stripe refund or lost chargeback could not take back because they were already spent), " +
      "so the user can start work again. No ledger transfer: the debt lives beside the ledger. Recorded in the audit log (`debt.forgive`, before/after, `reason`, request id). " +
      "Nothing owed → 409 `invalid_state` (also for a retry after success).",
    body: forgiveBody,
    response: { status: 200, description: "What was forgiven.", schema: forgiveResult },
    errors: ["invalid_request", "not_found", "invalid_state"],
  });
  const creditsChange = (op: "add" | "remove") => ({
    method: "post" as const, path: `${API_BASE}/admin/credits/${op}`, tags: [TAG], auth: "admin" as const,
    headers: idempotencyHeader,
    response: { status: 201, description: "The transaction and the user's balance after it.", schema: adminCreditsResult,
      headers: { "Idempotent-Replayed": { description: "`true` when this is a replay of an earlier request with the same Idempotency-Key.", schema: { type: "string" as const } } } },
  });
  documentRoute(registry, {
    ...creditsChange("add"),
    credits: "none to the caller; grants `amount` credits to the user (an `adjustment`).",
    summary: "Add credits to a user",
    description: "Creates an admin grant (optionally expiring). With `Idempotency-Key`, a retried call grants only once. Recorded in the audit log with the balance before and after and `reason` (default: the description).",
    body: addCreditsBody,
    errors: ["invalid_request", "not_found", "idempotency_conflict"],
  });
  documentRoute(registry, {
    ...creditsChange("remove"),
    credits: "none to the caller; removes `amount` credits from the user (an `adjustment`).",
    summary: "Remove credits from a user",
    description: "Refused with 402 if it is more than the user has available (posted − held). With `Idempotency-Key`, a retried call removes only once. Recorded in the audit log with the balance before and after and `reason` (default: the description).",
    body: removeCreditsBody,
    errors: ["invalid_request", "not_found", "insufficient_credits", "idempotency_conflict"],
  });
  for (const op of ["pause", "resume"] as const) {
    documentRoute(registry, {
      method: "post", path: `${API_BASE}/admin/credits/${op}`, tags: [TAG], auth: "admin", credits: 0,
      summary: op === "pause" ? "Pause a user's credit service" : "Resume a user's credit service",
      description: op === "pause"
        ? "New submissions of a paused user answer 403 `account_paused` and hold nothing; running jobs finish normally. Idempotent. Each call is recorded in the audit log (GET /api/v1/admin/audit) with the optional `reason`."
        : "The user can submit again. Idempotent.",
      body: creditStatusBody,
      response: { status: 200, description: "The user.", schema: userView },
      errors: ["invalid_request", "not_found"],
    });
  }
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/users/:id/balance`, tags: [TAG], auth: "admin", credits: 0,
    summary: "A user's balance", query: balanceQuery, response: { status: 200, description: "The balance.", schema: balanceView }, errors: ["not_found"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/users/:id/transactions`, tags: [TAG], auth: "admin", credits: 0,
    summary: "A user's transactions", query: transactionsQuery,
    response: { status: 200, description: "A page of transactions.", schema: transactionsPage }, errors: ["invalid_request", "not_found"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/users/:id/summary`, tags: [TAG], auth: "admin", credits: 0,
    summary: "A user's monthly summary", query: summaryQuery,
    response: { status: 200, description: "The summary.", schema: monthlySummaryView }, errors: ["invalid_request", "not_found"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/users/:id/limits`, tags: [TAG], auth: "admin", credits: 0,
    summary: "A user's spend limits",
    description: "What the user sees at GET /api/v1/credits/limits: the limits in force, the admin's ceilings (set with PUT /api/v1/admin/users/:id/limits), what they spent today and this month, and their low-credit threshold.",
    response: { status: 200, description: "The user's limits (null = none).", schema: spendLimitsView }, errors: ["not_found"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/credits/system/summary`, tags: [TAG], auth: "admin", credits: 0,
    summary: "System-wide credit totals",
    description: "All time: issued, spent, refunded, released, expired, removed, held and outstanding, overall and per credit type. outstanding = issued − spent + dispute_refunded − expired − removed.",
    response: { status: 200, description: "The totals.", schema: systemSummaryView }, errors: [],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/admin/credits/system/spend`, tags: [TAG], auth: "admin", credits: 0,
    summary: "System-wide spend per day",
    description: "Credits spent per UTC day over the last `days` days (today included), across all users, split by job kind: the same `charge` transfers the system summary counts as `spent`. Every day is present (0 when nothing was spent). The admin dashboard's spend chart.",
    query: systemSpendQuery,
    response: { status: 200, description: "The days, oldest first.", schema: systemSpendView }, errors: ["invalid_request"],
  });
}
