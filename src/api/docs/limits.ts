/** OpenAPI for spend limits (src/api/routes/limits.ts). */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { spendLimitsView, updateCeilingsBody, updateLimitsBody } from "../limits-schemas";
import { API_BASE, documentRoute } from "../openapi-kit";

const HOW = "Limits count credits per UTC day and per calendar month (UTC): what holds placed in the period still hold, plus what was "
  + "captured of them; released, refunded and dispute-refunded credits give room back. Every hold (jobs, batches, `POST /holds`, "
  + "`POST /credits/consume`) is checked together with the hold itself, so concurrent requests cannot overshoot: one that would pass a "
  + "limit gets 402 `spend_limit_reached` with `details: { period, limit, spent, required }` and nothing is held. Limits apply to each "
  + "credit type's balance; `spent_*` are for `standard`.";

export function limitsDocs(registry: OpenAPIRegistry): void {
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/credits/limits`, tags: ["Credits"], auth: "key", credits: 0,
    summary: "Your spend limits", description: `Your daily and monthly spend limits, the admin's ceilings, what you spent, and your low-credit alert threshold. ${HOW}`,
    response: { status: 200, description: "Your limits (null = none).", schema: spendLimitsView },
    errors: [],
  });
  documentRoute(registry, {
    method: "put", path: `${API_BASE}/credits/limits`, tags: ["Credits"], auth: "key", credits: 0,
    summary: "Set your spend limits",
    description: `Fields left out stay as they are; null clears one. A limit above the admin's ceiling is refused (400, \`details.issues\` names the field). ${HOW}`,
    body: updateLimitsBody,
    response: { status: 200, description: "Your limits after the change.", schema: spendLimitsView },
    errors: ["invalid_request"],
  });
  documentRoute(registry, {
    method: "put", path: `${API_BASE}/admin/users/:id/limits`, tags: ["Admin"], auth: "admin", credits: 0,
    summary: "Set a user's spend-limit ceilings",
    description: "The highest daily and monthly limits the user may set (null removes a ceiling). A ceiling applies even when the user set no limit, "
      + "and one below the user's own limit lowers that limit. Recorded in the audit log (`limits.change`, before and after).",
    body: updateCeilingsBody,
    response: { status: 200, description: "The user's limits after the change.", schema: spendLimitsView },
    errors: ["invalid_request", "not_found"],
  });
}
