/** OpenAPI for holds of an application's own work, consume and check. */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { captureHoldBody, checkQuery, consumeBody, createHoldBody, listHoldsQuery, releaseHoldBody, userQuery } from "../holds-schemas";
import { HOLD_STATUSES, type HoldView } from "../../holds/view";
import type { CheckResult, ConsumeResult } from "../../holds/service";
import { API_BASE, documentRoute } from "../openapi-kit";
import { balanceView, page, transactionView } from "../response-schemas";
import { idempotencyHeader } from "../schemas";

const TAG = "Holds";
const int = z.number().int().min(0);
const ACTING = "Marked ★: a `service` or `admin` key may pass `user_id` to act for that user; a `user` key naming another user is 403.";
const ONCE = "Capture, release and expiry are exclusive: exactly one wins; acting on a hold that is no longer `pending` is 409 `invalid_state`.";

export const holdView = z
  .object({
    id: z.string().meta({ format: "uuid" }),
    user_id: z.string().meta({ format: "uuid" }),
    status: z.enum(HOLD_STATUSES),
    credit_type: z.string(),
    credits: z.object({
      held: int.meta({ description: "What the hold reserved; once resolved, captured + released = held." }),
      captured: int,
      released: int,
    }),
    description: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    expires_at: z.iso.datetime(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: "Hold" });

export const consumeResult = z.object({ transaction: transactionView, balance: balanceView }).meta({ id: "ConsumeResult" });
export const checkResult = z
  .object({ affordable: z.boolean(), available: int, required: int })
  .meta({ id: "CreditCheck", description: "`affordable` is false for a paused account whatever the balance." });

export function holdsDocs(registry: OpenAPIRegistry): void {
  documentRoute(registry, {
    method: "post", path: `${API_BASE}/holds`, tags: [TAG], auth: "key", rateLimited: true,
    credits: "holds `credits` until captured, released or expired (`ttl_seconds`, default 3600).",
    summary: "Hold credits for your own work", description: `Reserves credits for work your application does; capture what it used later. ${ACTING}`,
    body: createHoldBody, headers: idempotencyHeader,
    response: { status: 201, description: "The hold, `pending`.", schema: holdView },
    errors: ["invalid_request", "insufficient_credits", "spend_limit_reached", "forbidden", "account_paused", "not_found", "idempotency_conflict"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/holds`, tags: [TAG], auth: "key", credits: 0,
    summary: "Your holds", description: `Newest first; filter by \`status\`. ${ACTING}`,
    query: listHoldsQuery,
    response: { status: 200, description: "A page of holds.", schema: page(holdView, "HoldPage") },
    errors: ["invalid_request", "forbidden", "not_found"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/holds/:id`, tags: [TAG], auth: "key", credits: 0,
    summary: "One hold", description: ACTING, query: userQuery,
    response: { status: 200, description: "The hold.", schema: holdView },
    errors: ["invalid_request", "forbidden", "not_found"],
  });
  documentRoute(registry, {
    method: "post", path: `${API_BASE}/holds/:id/capture`, tags: [TAG], auth: "key",
    credits: "charges `credits` (1…held, default all) of the hold and releases the rest.",
    summary: "Capture a hold", description: `${ONCE} More than held is 400. ${ACTING}`,
    body: captureHoldBody, headers: idempotencyHeader,
    response: { status: 200, description: "The hold, `captured`.", schema: holdView },
    errors: ["invalid_request", "forbidden", "not_found", "idempotency_conflict", "invalid_state"],
  });
  documentRoute(registry, {
    method: "post", path: `${API_BASE}/holds/:id/release`, tags: [TAG], auth: "key", credits: 0,
    summary: "Release a hold", description: `Gives all held credits back. ${ONCE} ${ACTING}`,
    body: releaseHoldBody, headers: idempotencyHeader,
    response: { status: 200, description: "The hold, `released`.", schema: holdView },
    errors: ["invalid_request", "forbidden", "not_found", "idempotency_conflict", "invalid_state"],
  });
  documentRoute(registry, {
    method: "post", path: `${API_BASE}/credits/consume`, tags: [TAG], auth: "key", rateLimited: true,
    credits: "charges `credits` at once (hold and capture in one transaction: all or nothing).",
    summary: "Charge credits now", description: `One-shot metering: appears in your transactions as \`consume\`. ${ACTING}`,
    body: consumeBody, headers: idempotencyHeader,
    response: { status: 201, description: "The transaction and the new balance.", schema: consumeResult },
    errors: ["invalid_request", "insufficient_credits", "spend_limit_reached", "forbidden", "account_paused", "not_found", "idempotency_conflict"],
  });
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/credits/check`, tags: [TAG], auth: "key", credits: 0,
    summary: "Could you spend this much now?", description: `Holds nothing. ${ACTING}`,
    query: checkQuery,
    response: { status: 200, description: "Whether `credits` are available now.", schema: checkResult },
    errors: ["invalid_request", "forbidden", "not_found"],
  });
}

// ------------------------------------------------ docs ⇔ services, checked by tsc
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Pinned<T extends true> = T;
export type _HoldDocsMatchServices = [
  Pinned<Same<z.infer<typeof holdView>, HoldView>>,
  Pinned<Same<z.infer<typeof consumeResult>, Omit<ConsumeResult, "replayed">>>,
  Pinned<Same<z.infer<typeof checkResult>, CheckResult>>,
];
