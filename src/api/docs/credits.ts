/** OpenAPI for the caller's own credits. */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { API_BASE, documentRoute } from "../openapi-kit";
import { balanceView, monthlySummaryView, rateView, transactionsPage } from "../response-schemas";
import { actingBalanceQuery, actingTransactionsQuery } from "../holds-schemas";
import { summaryQuery } from "../schemas";

const TAG = "Credits";

export function creditsDocs(registry: OpenAPIRegistry): void {
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/credits/balance`, tags: [TAG], auth: "key", credits: 0,
    summary: "Your balance", description: "Top-level fields are for `credit_type` (default `standard`); `by_type` lists every credit type you hold.",
    query: actingBalanceQuery,
    response: { status: 200, description: "The balance.", schema: balanceView },
    errors: ["invalid_request", "forbidden", "not_found"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/credits/transactions`, tags: [TAG], auth: "key", credits: 0,
    summary: "Your transaction history", description: "Newest first; filter by `type` or `job_id`.",
    query: actingTransactionsQuery,
    response: { status: 200, description: "A page of transactions.", schema: transactionsPage },
    errors: ["invalid_request", "forbidden", "not_found"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/credits/summary`, tags: [TAG], auth: "key", credits: 0,
    summary: "This month's credits",
    description: "Granted, spent (and on which job kinds, in dollars), refunded, released, expired and removed in one UTC calendar month; `held` is as of now.",
    query: summaryQuery,
    response: { status: 200, description: "The summary.", schema: monthlySummaryView },
    errors: ["invalid_request"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/credits/rate`, tags: [TAG], auth: "key", credits: 0,
    summary: "The price of one credit",
    response: { status: 200, description: "The base rate.", schema: rateView },
    errors: [],
  });
}
