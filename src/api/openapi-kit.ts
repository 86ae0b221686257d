/**
 * Helpers every area uses to document its routes in the OpenAPI document:
 * one `documentRoute` call per route adds the path with its credit cost
 * (`x-credit-cost` plus a sentence in the description), its security, its
 * success reply and every error reply in API.md's envelope.
 *
 * Import this module (never ./openapi) from an area's docs file, and add the
 * area's contributor to `openApiContributors` in ./openapi.ts.
 */
import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { AppError, type ErrorCode } from "../errors";

export const API_BASE = "/api/v1";

/** API.md's error table: when each code is answered. */
export const ERROR_DOCS: Record<ErrorCode, string> = {
  invalid_request: "Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths.",
  unauthenticated: "No key, or an unknown or revoked key.",
  insufficient_credits: "Not enough credits; `details` has `required`, `available`, `credit_type`.",
  spend_limit_reached: "The hold would pass your daily or monthly spend limit; `details` has `period` (`day` | `month`), `limit`, `spent`, `required`. Nothing was held.",
  forbidden: "Not allowed for this role.",
  account_paused: "The user's credit service is paused by an admin.",
  not_found: "Missing, or belongs to another user (never revealed which).",
  idempotency_conflict: "The same `Idempotency-Key` was used with a different request body.",
  invalid_state: "Not possible in the current state (e.g. cancelling a finished job).",
  payload_too_large: "The body or upload is over the limit (`details.max_bytes`).",
  rate_limited: "Too many requests for this key; see the `Retry-After` header.",
  unavailable: "A dependency (AI provider, Stripe, database) is not configured or down. Down: retry after `Retry-After`. Not configured: `details` has `reason: \"not_configured\"` and the `setting` to set, and there is no `Retry-After`.",
  internal: "Something failed on our side (never with a stack trace).",
};

export const ERROR_CODES = Object.keys(ERROR_DOCS) as ErrorCode[];

export const errorEnvelope = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]).meta({ description: "Stable, machine-readable." }),
      message: z.string().meta({ description: "A sentence for people." }),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .meta({ id: "Error", description: "Every error has this shape." });

const statusOf = (code: ErrorCode): number => new AppError(code, "").status;

/** `0` = free; otherwise a sentence fragment saying what is held and charged. */
export type CreditCost = 0 | string;

export interface DocRoute {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Full path; Express style (`/api/v1/jobs/:id`) or OpenAPI style (`{id}`). */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** `key`: any API key; `admin`: admin keys only (adds 403 forbidden); `none`: no key. */
  auth: "key" | "admin" | "none";
  credits: CreditCost;
  /** Behind the per-key rate limit (adds 429 and the X-RateLimit headers). */
  rateLimited?: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  params?: z.ZodObject;
  headers?: z.ZodObject;
  response: { status: number; description: string; schema?: z.ZodType; contentType?: string; headers?: Record<string, { description: string; schema: { type: "string" | "integer" } }> };
  /** Errors this route answers besides the automatic ones (401, 403 for admin, 429 if limited, 500). */
  errors: ErrorCode[];
}

const RATE_HEADERS = {
  "X-RateLimit-Limit": { description: "Requests allowed per minute for this key.", schema: { type: "integer" as const } },
  "X-RateLimit-Remaining": { description: "Requests left in the current minute.", schema: { type: "integer" as const } },
};

export function documentRoute(registry: OpenAPIRegistry, d: DocRoute): void {
  const path = d.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
  const codes = new Set<ErrorCode>(d.errors);
  if (d.auth !== "none") codes.add("unauthenticated");
  if (d.auth === "admin") codes.add("forbidden");
  if (d.rateLimited) codes.add("rate_limited");
  codes.add("internal");

  const responses: RouteConfig["responses"] = {
    [d.response.status]: {
      description: d.response.description,
      headers: { ...(d.rateLimited ? RATE_HEADERS : {}), ...d.response.headers },
      ...(d.response.schema ? { content: { [d.response.contentType ?? "application/json"]: { schema: d.response.schema } } } : {}),
    },
  };
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of ERROR_CODES.filter((x) => codes.has(x))) byStatus.set(statusOf(c), [...(byStatus.get(statusOf(c)) ?? []), c]);
  for (const [status, list] of [...byStatus.entries()].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: list.map((c) => `\`${c}\`: ${ERROR_DOCS[c]}`).join(" "),
      ...(status === 429 ? { headers: { "Retry-After": { description: "Seconds until the key may try again.", schema: { type: "integer" } } } } : {}),
      content: {
        "application/json": {
          schema: errorEnvelope,
          examples: Object.fromEntries(list.map((c) => [c, { value: { error: { code: c, message: ERROR_DOCS[c], details: {} } } }])),
        },
      },
    };
  }

  const cost = d.credits === 0 ? "Credit cost: free (holds and charges nothing)." : `Credit cost: ${d.credits}`;
  const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const params = d.params ?? (pathParams.length ? z.object(Object.fromEntries(pathParams.map((p) => [p, z.string()]))) : undefined);

  registry.registerPath({
    method: d.method,
    path,
    summary: d.summary,
    description: [d.description, cost].filter(Boolean).join("\n\n"),
    tags: d.tags,
    security: d.auth === "none" ? [] : [{ bearerAuth: [] }],
    "x-credit-cost": d.credits,
    "x-error-codes": [...codes],
    request: {
      ...(d.body ? { body: { required: true, content: { "application/json": { schema: d.body } } } } : {}),
      ...(d.query ? { query: d.query } : {}),
      ...(params ? { params } : {}),
      ...(d.headers ? { headers: d.headers } : {}),
    },
    responses,
  });
}
