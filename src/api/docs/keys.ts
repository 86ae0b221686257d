/** OpenAPI for the caller's profile and API keys (src/api/routes/keys.ts) and the admin alerts (routes/alerts.ts). */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import type { AlertView } from "../../alerts/raise";
import { ALERT_TYPES } from "../../alerts/raise";
import type { Page } from "../../lib/pagination";
import type { ApiKeyCreated, ApiKeyView } from "../../users/keys";
import type { ProfileView } from "../../billing/profile";
import { API_BASE, documentRoute } from "../openapi-kit";
import { page } from "../response-schemas";
import { alertsQuery, createKeyBody, keyIdParam, pageQuery } from "../schemas";

const isoTime = z.iso.datetime();

const planView = z.object({
  package_id: z.string(), code: z.string(), name: z.string(),
  status: z.enum(["incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "paused", "canceled"]),
  source: z.enum(["stripe", "admin"]), current_period_end: isoTime, cancel_at_period_end: z.boolean(),
}).meta({ id: "Plan" });

const profileView = z.object({
  id: z.string(), email: z.string(), name: z.string().nullable(), role: z.enum(["user", "admin", "service"]), status: z.enum(["active", "paused"]),
  plan: planView.nullable().meta({ description: "The live subscription's plan; null without one." }), created_at: isoTime,
}).meta({ id: "Profile" });

const apiKeyView = z.object({
  id: z.string(), name: z.string().nullable(), prefix: z.string().meta({ description: "The key's first characters, to tell keys apart." }),
  created_at: isoTime, last_used_at: isoTime.nullable().meta({ description: "Recorded at most once a minute." }), revoked_at: isoTime.nullable(),
}).meta({ id: "ApiKey" });

const apiKeyCreated = z.object({
  id: z.string(), name: z.string().nullable(), prefix: z.string(),
  api_key: z.string().meta({ description: "The key itself: shown only in this reply (only its hash is stored)." }), created_at: isoTime,
}).meta({ id: "ApiKeyCreated" });

const alertView = z.object({
  id: z.string(), type: z.enum(ALERT_TYPES), user_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).meta({ description: "What was seen and the thresholds it crossed; `summary` is a sentence." }), created_at: isoTime,
}).meta({ id: "Alert" });

const apiKeysPage = page(apiKeyView, "ApiKeyPage");
const alertsPage = page(alertView, "AlertPage");

export function keysDocs(registry: OpenAPIRegistry): void {
  const doc = (d: Parameters<typeof documentRoute>[1]) => documentRoute(registry, d);
  doc({
    method: "get", path: `${API_BASE}/me`, tags: ["Account"], auth: "key", credits: 0, summary: "Who you are",
    description: "Your user, role, credit service status and plan (null without a live subscription).",
    response: { status: 200, description: "Your profile.", schema: profileView }, errors: [],
  });
  doc({
    method: "get", path: `${API_BASE}/keys`, tags: ["Account"], auth: "key", credits: 0, summary: "Your API keys",
    description: "Newest first, revoked keys included; never the key itself.",
    query: pageQuery, response: { status: 200, description: "A page of keys.", schema: apiKeysPage }, errors: ["invalid_request"],
  });
  doc({
    method: "post", path: `${API_BASE}/keys`, tags: ["Account"], auth: "key", credits: 0, summary: "Create an API key",
    description: "A new key for your user (same role). The key is in this reply only; store it. At most 50 active keys (409 `invalid_state` beyond).",
    body: createKeyBody, response: { status: 201, description: "The key, shown once.", schema: apiKeyCreated }, errors: ["invalid_request", "invalid_state"],
  });
  doc({
    method: "delete", path: `${API_BASE}/keys/:id`, tags: ["Account"], auth: "key", credits: 0, summary: "Revoke one of your API keys",
    description: "The key stops working at once on the API process that answered, and within the auth cache TTL (`AUTH_CACHE_TTL_MS`, default 2 s) on the others. Revoking a revoked key succeeds again. Another user's key is 404.",
    params: keyIdParam, response: { status: 204, description: "Revoked." }, errors: ["not_found"],
  });
  doc({
    method: "delete", path: `${API_BASE}/admin/keys/:id`, tags: ["Admin"], auth: "admin", credits: 0, summary: "Revoke any API key",
    description: "Like `DELETE /keys/{id}`, for any user's key.",
    params: keyIdParam, response: { status: 204, description: "Revoked." }, errors: ["not_found"],
  });
  doc({
    method: "get", path: `${API_BASE}/admin/alerts`, tags: ["Admin"], auth: "admin", credits: 0, summary: "Anomaly alerts",
    description: "Newest first. `spend_spike`: a user's last-hour spend above k × their trailing hourly average and a floor; `estimate_drift`: a job kind's charged ÷ estimated ratio moved from its baseline; `repeated_402`: one API key refused for credits many times in a window; `ledger_check_failed`: the scheduled ledger check found a broken invariant. Each is raised (and mailed to `ADMIN_EMAIL`) once per subject per window.",
    query: alertsQuery, response: { status: 200, description: "A page of alerts.", schema: alertsPage }, errors: ["invalid_request"],
  });
}

// The docs above must describe what the services return: a compile error here means they drifted.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const pinned: [
  Exact<z.infer<typeof profileView>, ProfileView>,
  Exact<z.infer<typeof apiKeysPage>, Page<ApiKeyView>>,
  Exact<z.infer<typeof apiKeyCreated>, ApiKeyCreated>,
  Exact<z.infer<typeof alertsPage>, Page<AlertView>>,
] = [true, true, true, true];
void pinned;
