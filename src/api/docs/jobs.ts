/** OpenAPI for the jobs routes, including each job kind's input schema. */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import type { AppContext } from "../../context";
import type { JobKind } from "../../jobs/kind";
import { API_BASE, documentRoute } from "../openapi-kit";
import { estimateView, jobsPage, jobView } from "../response-schemas";
import { estimateBody, idempotencyHeader, listJobsQuery, submitBody } from "../schemas";

const TAG = "Jobs";

/**
 * A kind's input as a JSON Schema component, converted with zod's own
 * toJSONSchema. Kinds come from operators: a schema zod cannot express
 * (a transform, a custom check) degrades to "any JSON" instead of breaking
 * the whole document.
 */
function kindInputSchema(kind: JobKind): Record<string, unknown> {
  try {
    const { $schema: _drop, ...schema } = z.toJSONSchema(kind.input, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    return { ...schema, description: kind.description };
  } catch {
    return { description: `${kind.description} (schema not expressible as JSON Schema)` };
  }
}

export function jobsDocs(registry: OpenAPIRegistry, ctx: AppContext): void {
  const kinds = ctx.kinds.all();
  const kindList: string[] = [];
  for (const k of kinds) {
    const id = `JobInput_${k.name.replace(/[^A-Za-z0-9._-]/g, "_")}`;
    // Raw JSON Schema (not zod), so registered as a plain component.
    registry.registerComponent("schemas", id, kindInputSchema(k) as never);
    kindList.push(`- \`${k.name}\` (${k.creditType ?? "standard"} credits): ${k.description} Input: \`${id}\`.`);
  }
  const kindsText = kinds.length
    ? `Job kinds on this deployment:\n\n${kindList.join("\n")}`
    : "This deployment has no job kinds registered.";

  documentRoute(registry, {
    method: "post", path: `${API_BASE}/estimates`, tags: [TAG], auth: "key", credits: 0, rateLimited: true,
    summary: "Price a job without running it",
    description: `Validates the input with the kind's schema and returns what a job would hold.\n\n${kindsText}`,
    body: estimateBody,
    response: { status: 200, description: "The estimate.", schema: estimateView },
    errors: ["invalid_request", "payload_too_large", "unavailable"],
  });

  documentRoute(registry, {
    method: "post", path: `${API_BASE}/jobs`, tags: [TAG], auth: "key", rateLimited: true,
    credits: "the job's estimate (or the admin's `credit_amount`) is held at once; when the job ends, what it used is charged and the rest released. A platform failure refunds everything.",
    summary: "Submit a job",
    description: "Prices the input, reserves the credits and queues the job, all or nothing. "
      + "`max_credits` refuses (402) a job estimated above it; `credit_amount` (admins only, 403 otherwise) overrides the price. "
      + "With `Idempotency-Key`, a replay with the same body returns the same job (header `Idempotent-Replayed: true`) and holds nothing more; "
      + `a different body with the same key is 409.\n\n${kindsText}`,
    body: submitBody,
    headers: idempotencyHeader,
    response: {
      status: 202, description: "Accepted: the job, queued with its hold.", schema: jobView,
      headers: { "Idempotent-Replayed": { description: "`true` when this is a replay of an earlier request with the same Idempotency-Key.", schema: { type: "string" } } },
    },
    errors: ["invalid_request", "insufficient_credits", "spend_limit_reached", "forbidden", "account_paused", "idempotency_conflict", "payload_too_large", "unavailable"],
  });

  documentRoute(registry, {
    method: "get", path: `${API_BASE}/jobs`, tags: [TAG], auth: "key", credits: 0,
    summary: "List your jobs", description: "Newest first, filtered by `status` and `kind`.",
    query: listJobsQuery,
    response: { status: 200, description: "A page of jobs.", schema: jobsPage },
    errors: ["invalid_request"],
  });

  documentRoute(registry, {
    method: "get", path: `${API_BASE}/jobs/:id`, tags: [TAG], auth: "key", credits: 0,
    summary: "Get a job", description: "Another user's job is a 404, exactly like a missing one.",
    response: { status: 200, description: "The job.", schema: jobView },
    errors: ["not_found"],
  });

  documentRoute(registry, {
    method: "post", path: `${API_BASE}/jobs/:id/cancel`, tags: [TAG], auth: "key",
    credits: "none; a queued job's hold is released in full, a running job is aborted and its hold released.",
    summary: "Cancel a job",
    description: "A queued job is cancelled at once. A running job is asked to stop; the reply waits briefly for it and shows its state. A finished job is 409.",
    response: { status: 200, description: "The job after the cancel.", schema: jobView },
    errors: ["not_found", "invalid_state"],
  });
}
