/** OpenAPI for files, batches, job events and the pricing catalogue (issue 4). */
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { listBatchesQuery } from "../../jobs/batch-list";
import { batchBody, MAX_BATCH_JOBS } from "../../jobs/batches";
import { catalogueMarkdown, FILE_OPERATIONS } from "../../jobs/price-list";
import { listFilesQuery, uploadQuery } from "../../files/service";
import { API_BASE, documentRoute } from "../openapi-kit";
import { jobView, page } from "../response-schemas";
import { idempotencyHeader } from "../schemas";

const nonNegative = z.number().int().min(0);
const isoTime = z.iso.datetime();

export const fileView = z
  .object({
    id: z.string().meta({ format: "uuid" }),
    name: z.string(),
    content_type: z.string(),
    size_bytes: nonNegative,
    sha256: z.string().meta({ description: "Hex sha256 of the content, computed while it was stored." }),
    source_job_id: z.string().nullable().meta({ description: "The job that produced this file; null for uploads." }),
    created_at: isoTime,
  })
  .meta({ id: "File" });

const credits = z.object({ estimated: nonNegative, held: nonNegative, charged: nonNegative, refunded: nonNegative });

export const batchView = z
  .object({
    id: z.string().meta({ format: "uuid" }),
    status: z.enum(["active", "finished"]).meta({ description: "`active` while any job is queued or running." }),
    credit_type: z.string(),
    credits: credits.meta({ description: "Sums over the batch's jobs; `estimated` is the total held at submission." }),
    counts: z.object({ queued: nonNegative, running: nonNegative, succeeded: nonNegative, failed: nonNegative, canceled: nonNegative }),
    jobs: z.array(jobView).meta({ description: "In the order they were submitted." }),
    created_at: isoTime,
  })
  .meta({ id: "Batch" });

/** A list item: the batch without its jobs (see src/jobs/batch-list.ts for why). */
export const batchSummaryView = batchView.omit({ jobs: true }).meta({
  id: "BatchSummary",
  description: "A batch as lists show it: everything GET /batches/:id answers except `jobs`.",
});

export const pricingView = z
  .object({
    min_job_credits: nonNegative,
    bytes_per_mb: nonNegative,
    ai_hold_chars_per_token: nonNegative,
    rows: z.array(z.object({ kind: z.string(), item: z.string(), unit: z.string(), credits: nonNegative, credit_type: z.string() })),
  })
  .meta({ id: "PricingCatalogue" });

export function kindsDocs(registry: OpenAPIRegistry): void {
  documentRoute(registry, {
    method: "get", path: `${API_BASE}/pricing`, tags: ["Jobs"], auth: "key", credits: 0,
    summary: "The pricing catalogue",
    description: `What every job kind costs. The same table, from the same code:\n\n${catalogueMarkdown()}`,
    response: { status: 200, description: "The catalogue.", schema: pricingView },
    errors: [],
  });

  documentRoute(registry, {
    method: "post", path: `${API_BASE}/files`, tags: ["Files"], auth: "key", credits: 0,
    summary: "Upload a file",
    description: "Send the bytes as the raw body (any Content-Type but multipart; name it with `?name=`) or as multipart/form-data (the first file part is stored). "
      + "The upload streams to storage while its size and sha256 are computed; past MAX_UPLOAD_BYTES it is refused with 413 and nothing is kept. "
      + "Past the user's storage quota (STORAGE_QUOTA_BYTES over all their files) it is refused with 413 `payload_too_large`, `details.reason = \"storage_quota\"` and the bytes used; delete files to make room. "
      + "Uploads are rate-limited per key (UPLOAD_RATE_LIMIT_PER_MINUTE; 429 with Retry-After). "
      + `Use the id in a \`file\` job: operations ${FILE_OPERATIONS.map((o) => `\`${o}\``).join(", ")}.`,
    query: uploadQuery,
    response: { status: 201, description: "Stored.", schema: fileView },
    errors: ["invalid_request", "payload_too_large", "rate_limited"],
  });

  documentRoute(registry, {
    method: "get", path: `${API_BASE}/files`, tags: ["Files"], auth: "key", credits: 0,
    summary: "List your files", description: "Uploads and files your jobs produced, newest first.",
    query: listFilesQuery,
    response: { status: 200, description: "A page of files.", schema: page(fileView, "FilesPage") },
    errors: ["invalid_request"],
  });

  documentRoute(registry, {
    method: "get", path: `${API_BASE}/files/:id`, tags: ["Files"], auth: "key", credits: 0,
    summary: "Get a file's metadata", description: "Another user's file is a 404, exactly like a missing one.",
    response: { status: 200, description: "The file.", schema: fileView },
    errors: ["not_found"],
  });

  documentRoute(registry, {
    method: "delete", path: `${API_BASE}/files/:id`, tags: ["Files"], auth: "key", credits: 0,
    summary: "Delete a file",
    description: "Removes the file and its bytes; its space counts against the storage quota no more. A file a queued or running job will read is 409 `invalid_state` "
      + "(cancel the job or wait for it). Another user's file is a 404, exactly like a missing one.",
    response: { status: 204, description: "Deleted." },
    errors: ["not_found", "invalid_state"],
  });

  documentRoute(registry, {
    method: "get", path: `${API_BASE}/files/:id/content`, tags: ["Files"], auth: "key", credits: 0,
    summary: "Download a file", description: "Streams the bytes with the file's Content-Type, Content-Length and an ETag of its sha256.",
    response: { status: 200, description: "The content.", schema: z.string().meta({ format: "binary" }), contentType: "application/octet-stream" },
    errors: ["not_found"],
  });

  documentRoute(registry, {
    method: "post", path: `${API_BASE}/batches`, tags: ["Jobs"], auth: "key", rateLimited: true,
    credits: "the sum of the jobs' estimates, held at once with one check (all or nothing); then each job is charged or refunded on its own.",
    summary: "Submit jobs together",
    description: `Up to ${MAX_BATCH_JOBS} jobs, all spending one credit type. Every item is validated and priced first: a bad item is a 400 whose \`details.issues\` paths name it (\`jobs.3.input.text\`), and nothing is created. `
      + "If the total is not affordable: 402 and no job is created. With `Idempotency-Key`, a replay returns the same batch.",
    body: batchBody,
    headers: idempotencyHeader,
    response: { status: 202, description: "Accepted: the batch and its queued jobs.", schema: batchView },
    errors: ["invalid_request", "insufficient_credits", "spend_limit_reached", "account_paused", "idempotency_conflict", "payload_too_large", "unavailable"],
  });

  documentRoute(registry, {
    method: "get", path: `${API_BASE}/batches/:id`, tags: ["Jobs"], auth: "key", credits: 0,
    summary: "Get a batch", description: "Its jobs in submission order and the sums of their credits.",
    response: { status: 200, description: "The batch.", schema: batchView },
    errors: ["not_found"],
  });

  documentRoute(registry, {
    method: "get", path: `${API_BASE}/batches`, tags: ["Jobs"], auth: "key", credits: 0,
    summary: "List your batches",
    description: "Newest first, optionally only `active` or `finished` ones. Each item is the batch without its `jobs` "
      + `(a batch has up to ${MAX_BATCH_JOBS}, so pages stay small): its status, counts by job status and credit sums. `
      + "GET /batches/:id has the jobs. Only your own batches are listed, whatever your role.",
    query: listBatchesQuery,
    response: { status: 200, description: "A page of batches.", schema: page(batchSummaryView, "BatchesPage") },
    errors: ["invalid_request"],
  });

  documentRoute(registry, {
    method: "post", path: `${API_BASE}/batches/:id/cancel`, tags: ["Jobs"], auth: "key",
    credits: "none; each queued job's hold is released in full at once, each running job is aborted and its hold released. Jobs that already ended keep their charge.",
    summary: "Cancel a batch",
    description: "Cancels every job of the batch that is not final yet, each exactly as POST /jobs/:id/cancel would: queued jobs at once, running jobs are asked to stop "
      + "(the reply waits briefly for them and shows the batch as it is then; one still winding down shows `running` until its worker ends it). "
      + "A job that finishes on its own at the same moment keeps its own ending; nothing is ever released twice, so repeating the call is safe. "
      + "A batch whose jobs are all final is 409 `invalid_state` (`details.status: \"finished\"`). Another user's batch is a 404, exactly like a missing one.",
    response: { status: 200, description: "The batch after the cancel.", schema: batchView },
    errors: ["not_found", "invalid_state"],
  });

  documentRoute(registry, {
    method: "get", path: `${API_BASE}/jobs/:id/events`, tags: ["Jobs"], auth: "key", credits: 0,
    summary: "Watch a job (server-sent events)",
    description: "A `text/event-stream` until the job is final: `event: job` (the whole job) first, then `event: progress` "
      + "(`{ job_id, progress }`) and `event: status` (`{ job_id, status }`) as they happen, and `event: job` again when the job is final, "
      + "after which the server ends the stream. A `: keep-alive` comment comes every 15 s. "
      + "A key may hold SSE_MAX_STREAMS_PER_KEY streams open at once (per API process); one more is a 429 with Retry-After.",
    response: { status: 200, description: "The event stream.", schema: z.string(), contentType: "text/event-stream" },
    errors: ["not_found", "rate_limited"],
  });
}
