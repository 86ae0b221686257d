/** OpenAPI for the operations endpoints (no key). */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { documentRoute } from "../openapi-kit";

const TAG = "Operations";
const check = z.object({ ok: z.boolean(), ms: z.number().int(), error: z.string().optional() });

export function opsDocs(registry: OpenAPIRegistry): void {
  documentRoute(registry, {
    method: "get", path: "/healthz", tags: [TAG], auth: "none", credits: 0,
    summary: "Liveness", description: "The process is up; checks no dependency.",
    response: { status: 200, description: "Up.", schema: z.object({ status: z.literal("ok") }) },
    errors: [],
  });
  documentRoute(registry, {
    method: "get", path: "/readyz", tags: [TAG], auth: "none", credits: 0,
    summary: "Readiness", description: "PostgreSQL (`select 1`) and Redis (`PING`) each answered within a short timeout; 503 `unavailable` otherwise, with the checks in `details.checks`.",
    response: { status: 200, description: "Ready.", schema: z.object({ status: z.literal("ready"), checks: z.object({ postgres: check, redis: check }) }) },
    errors: ["unavailable"],
  });
  documentRoute(registry, {
    method: "get", path: "/metrics", tags: [TAG], auth: "key", credits: 0,
    summary: "Prometheus metrics",
    description: "Needs an admin API key or the `METRICS_TOKEN` (`Authorization: Bearer <token>`); anything else is 401. Process metrics, HTTP requests by route and status, jobs submitted, and the money metrics read at scrape time: credits by transaction type, job kind and credit type, pending holds and the oldest's age, disputes by status, alerts raised, the last scheduled ledger check, BullMQ queue depth per state (see the README).",
    response: { status: 200, description: "Prometheus text exposition format.", schema: z.string(), contentType: "text/plain" },
    errors: [],
  });
  documentRoute(registry, {
    method: "get", path: "/openapi.json", tags: [TAG], auth: "none", credits: 0,
    summary: "This document", response: { status: 200, description: "OpenAPI 3.1.", schema: z.record(z.string(), z.unknown()) }, errors: [],
  });
  documentRoute(registry, {
    method: "get", path: "/docs", tags: [TAG], auth: "none", credits: 0,
    summary: "API reference UI", response: { status: 200, description: "Swagger UI (HTML).", schema: z.string(), contentType: "text/html" }, errors: [],
  });
}
