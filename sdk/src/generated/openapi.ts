/**
 * Generated from the Holdfast OpenAPI document by sdk/scripts/generate-types.ts
 * (`npm run generate -w sdk`). Do not edit: sdk/test/types-drift.test.ts fails when
 * this file differs from what the server serves.
 */
export interface paths {
    "/api/v1/estimates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Price a job without running it
         * @description Validates the input with the kind's schema and returns what a job would hold.
         *
         *     Job kinds on this deployment:
         *
         *     - `ai` (standard credits): A chat completion from the configured OpenAI-compatible provider, charged by characters sent and generated. Input: `JobInput_ai`.
         *     - `file` (standard credits): Runs a streaming operation (csv-to-json, gzip, gunzip, sha256, line-count) over one of your files. Input: `JobInput_file`.
         *     - `script` (standard credits): Runs a script the operator registered, by name, with parameters checked against the script's schema. Input: `JobInput_script`.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["EstimateRequest"];
                };
            };
            responses: {
                /** @description The estimate. */
                200: {
                    headers: {
                        /** @description Requests allowed per minute for this key. */
                        "X-RateLimit-Limit"?: number;
                        /** @description Requests left in the current minute. */
                        "X-RateLimit-Remaining"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Estimate"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `payload_too_large`: The body or upload is over the limit (`details.max_bytes`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `rate_limited`: Too many requests for this key; see the `Retry-After` header. */
                429: {
                    headers: {
                        /** @description Seconds until the key may try again. */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unavailable`: A dependency (AI provider, Stripe, database) is not configured or down. Down: retry after `Retry-After`. Not configured: `details` has `reason: "not_configured"` and the `setting` to set, and there is no `Retry-After`. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List your jobs
         * @description Newest first, filtered by `status` and `kind`.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    status?: "queued" | "running" | "succeeded" | "failed" | "canceled";
                    kind?: string;
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of jobs. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["JobPage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Submit a job
         * @description Prices the input, reserves the credits and queues the job, all or nothing. `max_credits` refuses (402) a job estimated above it; `credit_amount` (admins only, 403 otherwise) overrides the price. An account that owes credits after a Stripe refund or lost chargeback is refused with 402 `insufficient_credits`, `details.reason: "debt"` and `details.debt`, until a purchase repays it or an admin forgives it. With `Idempotency-Key`, a replay with the same body returns the same job (header `Idempotent-Replayed: true`) and holds nothing more; a different body with the same key is 409.
         *
         *     Job kinds on this deployment:
         *
         *     - `ai` (standard credits): A chat completion from the configured OpenAI-compatible provider, charged by characters sent and generated. Input: `JobInput_ai`.
         *     - `file` (standard credits): Runs a streaming operation (csv-to-json, gzip, gunzip, sha256, line-count) over one of your files. Input: `JobInput_file`.
         *     - `script` (standard credits): Runs a script the operator registered, by name, with parameters checked against the script's schema. Input: `JobInput_script`.
         *
         *     Credit cost: the job's estimate (or the admin's `credit_amount`) is held at once; when the job ends, what it used is charged and the rest released. A platform failure refunds everything.
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Makes the call safe to retry: the same key and body answers with what the first call made (as it is now, with the header `Idempotent-Replayed: true`) and changes nothing more; the same key with another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["SubmitJobRequest"];
                };
            };
            responses: {
                /** @description Accepted: the job, queued with its hold. */
                202: {
                    headers: {
                        /** @description Requests allowed per minute for this key. */
                        "X-RateLimit-Limit"?: number;
                        /** @description Requests left in the current minute. */
                        "X-RateLimit-Remaining"?: number;
                        /** @description `true` when this is a replay of an earlier request with the same Idempotency-Key. */
                        "Idempotent-Replayed"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Job"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `insufficient_credits`: Not enough credits; `details` has `required`, `available`, `credit_type`. `spend_limit_reached`: The hold would pass your daily or monthly spend limit; `details` has `period` (`day` | `month`), `limit`, `spent`, `required`. Nothing was held. */
                402: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. `account_paused`: The user's credit service is paused by an admin. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `payload_too_large`: The body or upload is over the limit (`details.max_bytes`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `rate_limited`: Too many requests for this key; see the `Retry-After` header. */
                429: {
                    headers: {
                        /** @description Seconds until the key may try again. */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unavailable`: A dependency (AI provider, Stripe, database) is not configured or down. Down: retry after `Retry-After`. Not configured: `details` has `reason: "not_configured"` and the `setting` to set, and there is no `Retry-After`. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a job
         * @description Another user's job is a 404, exactly like a missing one.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The job. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Job"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a job
         * @description A queued job is cancelled at once. A running job is asked to stop; the reply waits briefly for it and shows its state. A finished job is 409.
         *
         *     Credit cost: none; a queued job's hold is released in full, a running job is aborted and its hold released.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The job after the cancel. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Job"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/pricing": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The pricing catalogue
         * @description What every job kind costs. The same table, from the same code:
         *
         *     | kind | item | unit | credits | credit type |
         *     |---|---|---|---:|---|
         *     | script | a registered script without its own price | per run | 5 | standard |
         *     | script | script "sleep" | per run | 2 | standard |
         *     | script | script "csv-stats" | per run | 8 | standard |
         *     | ai | characters sent | per started 100 characters | 1 | standard |
         *     | ai | characters generated | per started 100 characters | 2 | standard |
         *     | file | input size | per started MB (1,048,576 bytes) | 1 | standard |
         *     | file | operation "csv-to-json" | per job | 3 | standard |
         *     | file | operation "gzip" | per job | 2 | standard |
         *     | file | operation "gunzip" | per job | 2 | standard |
         *     | file | operation "sha256" | per job | 1 | standard |
         *     | file | operation "line-count" | per job | 1 | standard |
         *
         *     Every job costs at least 1 credit. The estimate is the hold (the most a job can cost); the charge is what the job measured, never more than the hold. An ai job's hold assumes at most 6 characters per token of `max_tokens` (the answer is cut there). Admins may override a job's price with `credit_amount`.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The catalogue. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["PricingCatalogue"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/files": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List your files
         * @description Uploads and files your jobs produced, newest first.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of files. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["FilesPage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Upload a file
         * @description Send the bytes as the raw body (any Content-Type but multipart; name it with `?name=`) or as multipart/form-data (the first file part is stored). The upload streams to storage while its size and sha256 are computed; past MAX_UPLOAD_BYTES it is refused with 413 and nothing is kept. Past the user's storage quota (STORAGE_QUOTA_BYTES over all their files) it is refused with 413 `payload_too_large`, `details.reason = "storage_quota"` and the bytes used; delete files to make room. Uploads are rate-limited per key (UPLOAD_RATE_LIMIT_PER_MINUTE; 429 with Retry-After). Use the id in a `file` job: operations `csv-to-json`, `gzip`, `gunzip`, `sha256`, `line-count`.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: {
                    name?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Stored. */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["File"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `payload_too_large`: The body or upload is over the limit (`details.max_bytes`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `rate_limited`: Too many requests for this key; see the `Retry-After` header. */
                429: {
                    headers: {
                        /** @description Seconds until the key may try again. */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/files/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a file's metadata
         * @description Another user's file is a 404, exactly like a missing one.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The file. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["File"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /**
         * Delete a file
         * @description Removes the file and its bytes; its space counts against the storage quota no more. A file a queued or running job will read is 409 `invalid_state` (cancel the job or wait for it). Another user's file is a 404, exactly like a missing one.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/files/{id}/content": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download a file
         * @description Streams the bytes with the file's Content-Type, Content-Length and an ETag of its sha256.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The content. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/octet-stream": string;
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/batches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List your batches
         * @description Newest first, optionally only `active` or `finished` ones. Each item is the batch without its `jobs` (a batch has up to 100, so pages stay small): its status, counts by job status and credit sums. GET /batches/:id has the jobs. Only your own batches are listed, whatever your role.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description `active`: some job is queued or running; `finished`: every job is final. */
                    status?: "active" | "finished";
                    /** @description Page size (default 50, max 200). */
                    limit?: number;
                    /** @description `next_cursor` of the previous page. */
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of batches. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["BatchesPage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Submit jobs together
         * @description Up to 100 jobs, all spending one credit type. Every item is validated and priced first: a bad item is a 400 whose `details.issues` paths name it (`jobs.3.input.text`), and nothing is created. If the total is not affordable: 402 and no job is created. With `Idempotency-Key`, a replay returns the same batch.
         *
         *     Credit cost: the sum of the jobs' estimates, held at once with one check (all or nothing); then each job is charged or refunded on its own.
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Makes the call safe to retry: the same key and body answers with what the first call made (as it is now, with the header `Idempotent-Replayed: true`) and changes nothing more; the same key with another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        jobs: {
                            kind: string;
                            input?: unknown;
                        }[];
                    };
                };
            };
            responses: {
                /** @description Accepted: the batch and its queued jobs. */
                202: {
                    headers: {
                        /** @description Requests allowed per minute for this key. */
                        "X-RateLimit-Limit"?: number;
                        /** @description Requests left in the current minute. */
                        "X-RateLimit-Remaining"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Batch"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `insufficient_credits`: Not enough credits; `details` has `required`, `available`, `credit_type`. `spend_limit_reached`: The hold would pass your daily or monthly spend limit; `details` has `period` (`day` | `month`), `limit`, `spent`, `required`. Nothing was held. */
                402: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `account_paused`: The user's credit service is paused by an admin. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `payload_too_large`: The body or upload is over the limit (`details.max_bytes`). */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `rate_limited`: Too many requests for this key; see the `Retry-After` header. */
                429: {
                    headers: {
                        /** @description Seconds until the key may try again. */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unavailable`: A dependency (AI provider, Stripe, database) is not configured or down. Down: retry after `Retry-After`. Not configured: `details` has `reason: "not_configured"` and the `setting` to set, and there is no `Retry-After`. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/batches/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a batch
         * @description Its jobs in submission order and the sums of their credits.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The batch. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Batch"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/batches/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a batch
         * @description Cancels every job of the batch that is not final yet, each exactly as POST /jobs/:id/cancel would: queued jobs at once, running jobs are asked to stop (the reply waits briefly for them and shows the batch as it is then; one still winding down shows `running` until its worker ends it). A job that finishes on its own at the same moment keeps its own ending; nothing is ever released twice, so repeating the call is safe. A batch whose jobs are all final is 409 `invalid_state` (`details.status: "finished"`). Another user's batch is a 404, exactly like a missing one.
         *
         *     Credit cost: none; each queued job's hold is released in full at once, each running job is aborted and its hold released. Jobs that already ended keep their charge.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The batch after the cancel. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Batch"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/jobs/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Watch a job (server-sent events)
         * @description A `text/event-stream` until the job is final: `event: job` (the whole job) first, then `event: progress` (`{ job_id, progress }`) and `event: status` (`{ job_id, status }`) as they happen, and `event: job` again when the job is final, after which the server ends the stream. A `: keep-alive` comment comes every 15 s. A key may hold SSE_MAX_STREAMS_PER_KEY streams open at once (per API process); one more is a 429 with Retry-After.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The event stream. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": string;
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `rate_limited`: Too many requests for this key; see the `Retry-After` header. */
                429: {
                    headers: {
                        /** @description Seconds until the key may try again. */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/balance": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your balance
         * @description Top-level fields are for `credit_type` (default `standard`); `by_type` lists every credit type you hold.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Credit type (default "standard"). */
                    credit_type?: string;
                    /** @description Act for this user: `service` and `admin` keys only (a `user` key may name only itself; 403 otherwise). */
                    user_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The balance. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Balance"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/transactions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your transaction history
         * @description Newest first; filter by `type` or `job_id`.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (default 50, max 200). */
                    limit?: number;
                    /** @description `next_cursor` of the previous page. */
                    cursor?: string;
                    type?: "grant" | "purchase" | "subscription" | "hold" | "charge" | "release" | "refund" | "expire" | "adjustment" | "dispute_refund" | "clawback" | "capture" | "consume";
                    /** @description Only this job's transactions. */
                    job_id?: string;
                    /** @description Act for this user: `service` and `admin` keys only (a `user` key may name only itself; 403 otherwise). */
                    user_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of transactions. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TransactionPage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This month's credits
         * @description Granted, spent (and on which job kinds, in dollars), refunded, released, expired and removed in one UTC calendar month; `held` is as of now.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Calendar month in UTC, YYYY-MM (default: the current month). */
                    month?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The summary. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CreditSummary"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/rate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The price of one credit
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The base rate. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CreditRate"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List users
         * @description Newest first; `status` filters by credit service state.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (default 50, max 200). */
                    limit?: number;
                    /** @description `next_cursor` of the previous page. */
                    cursor?: string;
                    /** @description Only users whose credit service is in this state. */
                    status?: "active" | "paused";
                    /** @description Search: part of the email or name (case-insensitive), or the start of the user id. */
                    q?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of users. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["UserPage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Create a user
         * @description Answers with the user's API key; this is the only time it is shown. An email that is taken (case-insensitive) is 409 `invalid_state`.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["CreateUserRequest"];
                };
            };
            responses: {
                /** @description Created. */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CreatedUser"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a user
         * @description With `pause_reason` (an admin's, or `chargeback:<dispute id>` while a Stripe chargeback is open), `debt` (credits owed after refunds or lost chargebacks) and `frozen` (credits frozen by open chargebacks).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The user. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AdminUser"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users/{id}/forgive": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Forgive a user's debt
         * @description Clears every outstanding debt of the user (credits a Stripe refund or lost chargeback could not take back because they were already spent), so the user can start work again. No ledger transfer: the debt lives beside the ledger. Recorded in the audit log (`debt.forgive`, before/after, `reason`, request id). Nothing owed → 409 `invalid_state` (also for a retry after success).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ForgiveDebtRequest"];
                };
            };
            responses: {
                /** @description What was forgiven. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ForgiveResult"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/credits/add": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add credits to a user
         * @description Creates an admin grant (optionally expiring). With `Idempotency-Key`, a retried call grants only once. Recorded in the audit log with the balance before and after and `reason` (default: the description).
         *
         *     Credit cost: none to the caller; grants `amount` credits to the user (an `adjustment`).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Makes the call safe to retry: the same key and body answers with what the first call made (as it is now, with the header `Idempotent-Replayed: true`) and changes nothing more; the same key with another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["AddCreditsRequest"];
                };
            };
            responses: {
                /** @description The transaction and the user's balance after it. */
                201: {
                    headers: {
                        /** @description `true` when this is a replay of an earlier request with the same Idempotency-Key. */
                        "Idempotent-Replayed"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AdminCreditsResult"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/credits/remove": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Remove credits from a user
         * @description Refused with 402 if it is more than the user has available (posted − held). With `Idempotency-Key`, a retried call removes only once. Recorded in the audit log with the balance before and after and `reason` (default: the description).
         *
         *     Credit cost: none to the caller; removes `amount` credits from the user (an `adjustment`).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Makes the call safe to retry: the same key and body answers with what the first call made (as it is now, with the header `Idempotent-Replayed: true`) and changes nothing more; the same key with another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["RemoveCreditsRequest"];
                };
            };
            responses: {
                /** @description The transaction and the user's balance after it. */
                201: {
                    headers: {
                        /** @description `true` when this is a replay of an earlier request with the same Idempotency-Key. */
                        "Idempotent-Replayed"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AdminCreditsResult"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `insufficient_credits`: Not enough credits; `details` has `required`, `available`, `credit_type`. */
                402: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/credits/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pause a user's credit service
         * @description New submissions of a paused user answer 403 `account_paused` and hold nothing; running jobs finish normally. Idempotent. Each call is recorded in the audit log (GET /api/v1/admin/audit) with the optional `reason`.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["CreditStatusRequest"];
                };
            };
            responses: {
                /** @description The user. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["User"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/credits/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume a user's credit service
         * @description The user can submit again. Idempotent.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["CreditStatusRequest"];
                };
            };
            responses: {
                /** @description The user. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["User"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users/{id}/balance": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A user's balance
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Credit type (default "standard"). */
                    credit_type?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The balance. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Balance"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users/{id}/transactions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A user's transactions
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (default 50, max 200). */
                    limit?: number;
                    /** @description `next_cursor` of the previous page. */
                    cursor?: string;
                    type?: "grant" | "purchase" | "subscription" | "hold" | "charge" | "release" | "refund" | "expire" | "adjustment" | "dispute_refund" | "clawback" | "capture" | "consume";
                    /** @description Only this job's transactions. */
                    job_id?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of transactions. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TransactionPage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users/{id}/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A user's monthly summary
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Calendar month in UTC, YYYY-MM (default: the current month). */
                    month?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The summary. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CreditSummary"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users/{id}/limits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A user's spend limits
         * @description What the user sees at GET /api/v1/credits/limits: the limits in force, the admin's ceilings (set with PUT /api/v1/admin/users/:id/limits), what they spent today and this month, and their low-credit threshold.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The user's limits (null = none). */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SpendLimits"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        /**
         * Set a user's spend-limit ceilings
         * @description The highest daily and monthly limits the user may set (null removes a ceiling). A ceiling applies even when the user set no limit, and one below the user's own limit lowers that limit. Recorded in the audit log (`limits.change`, before and after).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["UpdateSpendCeilingsRequest"];
                };
            };
            responses: {
                /** @description The user's limits after the change. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SpendLimits"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/credits/system/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * System-wide credit totals
         * @description All time: issued, spent, refunded, released, expired, removed, held and outstanding, overall and per credit type. outstanding = issued − spent + dispute_refunded − expired − removed.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The totals. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SystemCreditSummary"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/credits/system/spend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * System-wide spend per day
         * @description Credits spent per UTC day over the last `days` days (today included), across all users, split by job kind: the same `charge` transfers the system summary counts as `spent`. Every day is present (0 when nothing was spent). The admin dashboard's spend chart.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description How many UTC days, today included (default 30, max 90). */
                    days?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The days, oldest first. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SystemSpendByDay"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness
         * @description The process is up; checks no dependency.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Up. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ok";
                        };
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness
         * @description PostgreSQL (`select 1`) and Redis (`PING`) each answered within a short timeout; 503 `unavailable` otherwise, with the checks in `details.checks`.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Ready. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ready";
                            checks: {
                                postgres: {
                                    ok: boolean;
                                    ms: number;
                                    error?: string;
                                };
                                redis: {
                                    ok: boolean;
                                    ms: number;
                                    error?: string;
                                };
                            };
                        };
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unavailable`: A dependency (AI provider, Stripe, database) is not configured or down. Down: retry after `Retry-After`. Not configured: `details` has `reason: "not_configured"` and the `setting` to set, and there is no `Retry-After`. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics
         * @description Needs an admin API key or the `METRICS_TOKEN` (`Authorization: Bearer <token>`); anything else is 401. Process metrics, HTTP requests by route and status, jobs submitted, and the money metrics read at scrape time: credits by transaction type, job kind and credit type, pending holds and the oldest's age, disputes by status, alerts raised, the last scheduled ledger check, BullMQ queue depth per state (see the README).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Prometheus text exposition format. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This document
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OpenAPI 3.1. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/docs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * API reference UI
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Swagger UI (HTML). */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/disputes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List your disputes
         * @description Newest first.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (default 50, max 200). */
                    limit?: number;
                    /** @description `next_cursor` of the previous page. */
                    cursor?: string;
                    /** @description Only disputes in this status. */
                    status?: "open" | "under_review" | "resolved";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of disputes. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DisputePage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Dispute a charge
         * @description Dispute what one of your jobs (`job_id`) or one of your charge transactions (`transaction_id`) was charged; `disputed_credits` is that charge. Something that charged nothing is 400; another user's job or transaction is 404; an item that already has a dispute that is not resolved is 409 `invalid_state` (a job and its charge transaction are the same item). You get an email now and at each change of status. With `Idempotency-Key`, a retried call opens only one dispute.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Makes the call safe to retry: the same key and body answers with what the first call made (as it is now, with the header `Idempotent-Replayed: true`) and changes nothing more; the same key with another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["OpenDisputeRequest"];
                };
            };
            responses: {
                /** @description The dispute, `open`. */
                201: {
                    headers: {
                        /** @description `true` when this is a replay of an earlier request with the same Idempotency-Key. */
                        "Idempotent-Replayed"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Dispute"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/disputes/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a dispute
         * @description Your own; admins may read any.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The dispute. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Dispute"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/disputes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List all disputes
         * @description Newest first; filter by `status` and `user_id`.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (default 50, max 200). */
                    limit?: number;
                    /** @description `next_cursor` of the previous page. */
                    cursor?: string;
                    /** @description Only disputes in this status. */
                    status?: "open" | "under_review" | "resolved";
                    /** @description Only this user's disputes. */
                    user_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of disputes. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DisputePage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/disputes/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Dispute statistics
         * @description Counts by status and outcome, credits refunded, the median time to resolve, the most frequent reasons.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The numbers. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DisputeStats"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/disputes/{id}/review": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start reviewing a dispute
         * @description `open` → `under_review`; any other status is 409 `invalid_state` (of concurrent calls exactly one succeeds). Emails the user; recorded in the audit log.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ReviewDisputeRequest"];
                };
            };
            responses: {
                /** @description The dispute, `under_review`. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Dispute"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/disputes/{id}/resolve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resolve a dispute
         * @description `outcome: refund` gives back `credits` (1 … `disputed_credits`, default all; more is 400) in one `dispute_refund` transaction, linked to the job, whose id is derived from the dispute's — it happens once; `outcome: reject` gives back nothing. A dispute already resolved is 409 `invalid_state`: of concurrent resolves exactly one succeeds. With `Idempotency-Key`, a replay answers with the resolved dispute and changes nothing. Emails the user; recorded in the audit log with the balance before and after.
         *
         *     Credit cost: none to the caller; a refund gives `credits` back to the user (a `dispute_refund` transaction).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Makes the call safe to retry: the same key and body answers with what the first call made (as it is now, with the header `Idempotent-Replayed: true`) and changes nothing more; the same key with another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ResolveDisputeRequest"];
                };
            };
            responses: {
                /** @description The dispute, `resolved`. */
                200: {
                    headers: {
                        /** @description `true` when this is a replay of an earlier request with the same Idempotency-Key. */
                        "Idempotent-Replayed"?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Dispute"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The admin audit log
         * @description Every admin credit action (add, remove, pause, resume, dispute review and resolution, …), newest first: who, what, on which user, before and after, why, and the request's X-Request-Id. Written in the same transaction as the action.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (default 50, max 200). */
                    limit?: number;
                    /** @description `next_cursor` of the previous page. */
                    cursor?: string;
                    /** @description Only actions on this user. */
                    user_id?: string;
                    /** @description Only actions by this admin. */
                    actor_id?: string;
                    /** @description Only this action (`credits.add`, `credits.remove`, `credits.pause`, `credits.resume`, `dispute.review`, `dispute.resolve`, …). */
                    action?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of audit entries. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AuditPage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Who the session is
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header: {
                    /** @description Required with every session call, and with every /api/v1 call authenticated by the session cookie (any value, e.g. `1`). */
                    "X-Holdfast-CSRF": string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The signed-in user. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DashboardSession"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Sign in to the dashboard
         * @description Exchanges an API key, or a single-use sign-in token (the link `npm start` prints), for a session cookie `holdfast_session` (HttpOnly, SameSite=Strict, 12 hours; stored hashed). The session acts as that key. Without the `X-Holdfast-CSRF` header: 403.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header: {
                    /** @description Required with every session call, and with every /api/v1 call authenticated by the session cookie (any value, e.g. `1`). */
                    "X-Holdfast-CSRF": string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["SignInRequest"];
                };
            };
            responses: {
                /** @description Signed in; the cookie is set. */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DashboardSession"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        /**
         * Sign out
         * @description Deletes the session and clears the cookie.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        delete: {
            parameters: {
                query?: never;
                header: {
                    /** @description Required with every session call, and with every /api/v1 call authenticated by the session cookie (any value, e.g. `1`). */
                    "X-Holdfast-CSRF": string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Signed out. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/lots": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your credit lots
         * @description Every grant with credits left, soonest expiry first: how much remains and when it expires (`null` = never).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The lots. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CreditLotPage"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users/{id}/lots": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A user's credit lots
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The lots. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CreditLotPage"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/holds": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your holds
         * @description Newest first; filter by `status`. Marked ★: a `service` or `admin` key may pass `user_id` to act for that user; a `user` key naming another user is 403.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (default 50, max 200). */
                    limit?: number;
                    /** @description `next_cursor` of the previous page. */
                    cursor?: string;
                    status?: "pending" | "captured" | "released" | "expired";
                    /** @description Act for this user: `service` and `admin` keys only (a `user` key may name only itself; 403 otherwise). */
                    user_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of holds. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["HoldPage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Hold credits for your own work
         * @description Reserves credits for work your application does; capture what it used later. Marked ★: a `service` or `admin` key may pass `user_id` to act for that user; a `user` key naming another user is 403.
         *
         *     Credit cost: holds `credits` until captured, released or expired (`ttl_seconds`, default 3600).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Makes the call safe to retry: the same key and body answers with what the first call made (as it is now, with the header `Idempotent-Replayed: true`) and changes nothing more; the same key with another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["CreateHoldRequest"];
                };
            };
            responses: {
                /** @description The hold, `pending`. */
                201: {
                    headers: {
                        /** @description Requests allowed per minute for this key. */
                        "X-RateLimit-Limit"?: number;
                        /** @description Requests left in the current minute. */
                        "X-RateLimit-Remaining"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Hold"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `insufficient_credits`: Not enough credits; `details` has `required`, `available`, `credit_type`. `spend_limit_reached`: The hold would pass your daily or monthly spend limit; `details` has `period` (`day` | `month`), `limit`, `spent`, `required`. Nothing was held. */
                402: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. `account_paused`: The user's credit service is paused by an admin. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `rate_limited`: Too many requests for this key; see the `Retry-After` header. */
                429: {
                    headers: {
                        /** @description Seconds until the key may try again. */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/holds/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One hold
         * @description Marked ★: a `service` or `admin` key may pass `user_id` to act for that user; a `user` key naming another user is 403.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Act for this user: `service` and `admin` keys only (a `user` key may name only itself; 403 otherwise). */
                    user_id?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The hold. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Hold"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/holds/{id}/capture": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Capture a hold
         * @description Capture, release and expiry are exclusive: exactly one wins; acting on a hold that is no longer `pending` is 409 `invalid_state`. More than held is 400. Marked ★: a `service` or `admin` key may pass `user_id` to act for that user; a `user` key naming another user is 403.
         *
         *     Credit cost: charges `credits` (1…held, default all) of the hold and releases the rest.
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Makes the call safe to retry: the same key and body answers with what the first call made (as it is now, with the header `Idempotent-Replayed: true`) and changes nothing more; the same key with another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["CaptureHoldRequest"];
                };
            };
            responses: {
                /** @description The hold, `captured`. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Hold"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/holds/{id}/release": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Release a hold
         * @description Gives all held credits back. Capture, release and expiry are exclusive: exactly one wins; acting on a hold that is no longer `pending` is 409 `invalid_state`. Marked ★: a `service` or `admin` key may pass `user_id` to act for that user; a `user` key naming another user is 403.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Makes the call safe to retry: the same key and body answers with what the first call made (as it is now, with the header `Idempotent-Replayed: true`) and changes nothing more; the same key with another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ReleaseHoldRequest"];
                };
            };
            responses: {
                /** @description The hold, `released`. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Hold"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/consume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Charge credits now
         * @description One-shot metering: appears in your transactions as `consume`. Marked ★: a `service` or `admin` key may pass `user_id` to act for that user; a `user` key naming another user is 403.
         *
         *     Credit cost: charges `credits` at once (hold and capture in one transaction: all or nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Makes the call safe to retry: the same key and body answers with what the first call made (as it is now, with the header `Idempotent-Replayed: true`) and changes nothing more; the same key with another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ConsumeRequest"];
                };
            };
            responses: {
                /** @description The transaction and the new balance. */
                201: {
                    headers: {
                        /** @description Requests allowed per minute for this key. */
                        "X-RateLimit-Limit"?: number;
                        /** @description Requests left in the current minute. */
                        "X-RateLimit-Remaining"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ConsumeResult"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `insufficient_credits`: Not enough credits; `details` has `required`, `available`, `credit_type`. `spend_limit_reached`: The hold would pass your daily or monthly spend limit; `details` has `period` (`day` | `month`), `limit`, `spent`, `required`. Nothing was held. */
                402: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. `account_paused`: The user's credit service is paused by an admin. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `rate_limited`: Too many requests for this key; see the `Retry-After` header. */
                429: {
                    headers: {
                        /** @description Seconds until the key may try again. */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/check": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Could you spend this much now?
         * @description Holds nothing. Marked ★: a `service` or `admin` key may pass `user_id` to act for that user; a `user` key naming another user is 403.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query: {
                    /** @description Credits the caller wants to spend. */
                    credits: number;
                    /** @description Credit type (default "standard"). */
                    credit_type?: string;
                    /** @description Act for this user: `service` and `admin` keys only (a `user` key may name only itself; 403 otherwise). */
                    user_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Whether `credits` are available now. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CreditCheck"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/packages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Plans
         * @description Starter, Professional and Enterprise: monthly price (`price` dollars, `price_cents`), credits per period, features, whether unused credits roll over, and the discount on credit purchases while subscribed.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description `{ data: [package], next_cursor: null }`. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/purchase/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Quote a credit purchase
         * @description The full price breakdown (base, bulk discount, subscriber discount, promotion, total in cents and dollars). Changes nothing.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["PurchaseQuoteRequest"];
                };
            };
            responses: {
                /** @description The quote. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/purchase": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Buy credits (Stripe Checkout)
         * @description Creates a Stripe Checkout Session for the quoted total and returns its `checkout_url`. Credits are added when Stripe reports the payment (webhook), as purchased credits that never expire. At most PURCHASE_RATE_LIMIT_PER_MINUTE per key (429 with Retry-After beyond).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Retry-safe: the same key and body returns the first checkout; another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["PurchaseRequest"];
                };
            };
            responses: {
                /** @description The checkout (200 when an Idempotency-Key replays). */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `account_paused`: The user's credit service is paused by an admin. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `rate_limited`: Too many requests for this key; see the `Retry-After` header. */
                429: {
                    headers: {
                        /** @description Seconds until the key may try again. */
                        "Retry-After"?: number;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unavailable`: A dependency (AI provider, Stripe, database) is not configured or down. Down: retry after `Retry-After`. Not configured: `details` has `reason: "not_configured"` and the `setting` to set, and there is no `Retry-After`. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/purchases/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A purchase's status
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The checkout: open, complete or expired. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/low-credit-alert": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your low-credit alert threshold
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description `{ threshold, default_threshold, effective_threshold }`. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        /**
         * Set your low-credit alert threshold
         * @description Credit cost: free (holds and charges nothing).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["LowCreditThresholdRequest"];
                };
            };
            responses: {
                /** @description The new settings. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/subscriptions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your subscriptions
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description `{ data: [subscription], next_cursor: null }`, newest first. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Subscribe, or change plan
         * @description Without a plan: a Stripe Checkout Session in subscription mode (201, `action: checkout`). With a Stripe plan: an upgrade takes effect now, its prorated price is charged at once (declined → 409), and the prorated difference in credits is added as soon as that invoice is paid — in this call when the card pays (`upgraded`); a downgrade takes effect at the period's end (`downgrade_scheduled`).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Retry-safe: the same key and body returns the first checkout; another body is 409. */
                    "Idempotency-Key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["SubscribeRequest"];
                };
            };
            responses: {
                /** @description The checkout, or (200) the changed subscription. */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `account_paused`: The user's credit service is paused by an admin. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `idempotency_conflict`: The same `Idempotency-Key` was used with a different request body. `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unavailable`: A dependency (AI provider, Stripe, database) is not configured or down. Down: retry after `Retry-After`. Not configured: `details` has `reason: "not_configured"` and the `setting` to set, and there is no `Retry-After`. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/subscriptions/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel at the period's end
         * @description Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The subscription (`cancel_at_period_end: true`). */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unavailable`: A dependency (AI provider, Stripe, database) is not configured or down. Down: retry after `Retry-After`. Not configured: `details` has `reason: "not_configured"` and the `setting` to set, and there is no `Retry-After`. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/billing/portal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Open the Stripe customer portal
         * @description A fresh, short-lived Stripe customer portal session (update the card a payment failed on, see invoices, cancel). Redirect the user to `url` at once; the portal's return link goes to the dashboard (PUBLIC_URL). 409 `invalid_state` when the user has never been a Stripe customer (no purchase or subscription yet).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description `{ url }`. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            url: string;
                        };
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unavailable`: A dependency (AI provider, Stripe, database) is not configured or down. Down: retry after `Retry-After`. Not configured: `details` has `reason: "not_configured"` and the `setting` to set, and there is no `Retry-After`. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/stripe": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Stripe webhook
         * @description Signed by Stripe (`Stripe-Signature` over the raw body); no API key. Each event id is processed once, asynchronously. Handled: `checkout.session.completed`, `checkout.session.async_payment_succeeded`, `checkout.session.expired`, `customer.subscription.created`/`updated`/`deleted`, `invoice.paid`, `invoice.payment_failed`, and `charge.refunded`, `charge.dispute.created`, `charge.dispute.closed`: a refund or lost chargeback of a credit purchase takes its credits back (`clawback`; what was spent becomes a debt that refuses new work with 402 until repaid or forgiven), an open chargeback freezes the purchase's remaining credits and pauses the account. Others are stored and ignored.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description `{ received: true, id, duplicate }`. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unavailable`: A dependency (AI provider, Stripe, database) is not configured or down. Down: retry after `Retry-After`. Not configured: `details` has `reason: "not_configured"` and the `setting` to set, and there is no `Retry-After`. */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/checkout/return": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Where Stripe Checkout returns the buyer
         * @description The default `success_url` and `cancel_url` of a checkout: a short HTML page saying whether the payment went through (`result=success`) or was canceled. Credits are added by the webhook, not by this page.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    result?: "success" | "canceled";
                    session_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description An HTML page. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users/{id}/plan": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Assign or change a user's plan without Stripe
         * @description For invoiced customers: the first period's credits are granted at once and the scheduler renews monthly. Upgrades add the prorated difference now; downgrades wait for the period's end.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["AssignPlanRequest"];
                };
            };
            responses: {
                /** @description `{ action, subscription }` (200 for a change). */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        /**
         * End a user's admin plan at the period's end
         * @description Credit cost: free (holds and charges nothing).
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The subscription. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/users/{id}/subscription": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A user's subscription state
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description `{ user_id, current, subscriptions }`. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/promotions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Promotion codes and their use
         * @description Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description `{ data: [promotion], next_cursor: null }`. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Create a promotion code
         * @description `max_redemptions` caps all uses (a database constraint; an open checkout holds one until it is paid or expires); `max_redemptions_per_user` defaults to 1 (null = no per-user limit). A payment that completes after its checkout was swept still gets the credits it paid for, but counts as a use only if one is left (else it shows in `over_limit_uses`).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["CreatePromotionRequest"];
                };
            };
            responses: {
                /** @description The promotion. */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/promotions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change a promotion's limits, end date or status
         * @description Set `max_redemptions`, `max_redemptions_per_user` (null lifts a limit), `ends_at`, `description` or `active`. A `max_redemptions` below `times_used` is refused (400).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["UpdatePromotionRequest"];
                };
            };
            responses: {
                /** @description The promotion. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Who you are
         * @description Your user, role, credit service status and plan (null without a live subscription).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Your profile. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Profile"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your API keys
         * @description Newest first, revoked keys included; never the key itself.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (default 50, max 200). */
                    limit?: number;
                    /** @description `next_cursor` of the previous page. */
                    cursor?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of keys. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiKeyPage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /**
         * Create an API key
         * @description A new key for your user (same role). The key is in this reply only; store it. At most 50 active keys (409 `invalid_state` beyond).
         *
         *     Credit cost: free (holds and charges nothing).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["CreateApiKeyRequest"];
                };
            };
            responses: {
                /** @description The key, shown once. */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiKeyCreated"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `invalid_state`: Not possible in the current state (e.g. cancelling a finished job). */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke one of your API keys
         * @description The key stops working at once on the API process that answered, and within the auth cache TTL (`AUTH_CACHE_TTL_MS`, default 2 s) on the others. Revoking a revoked key succeeds again. Another user's key is 404.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The key's id (a UUID). */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Revoked. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke any API key
         * @description Like `DELETE /keys/{id}`, for any user's key.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The key's id (a UUID). */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Revoked. */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `not_found`: Missing, or belongs to another user (never revealed which). */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/admin/alerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Anomaly alerts
         * @description Newest first. `spend_spike`: a user's last-hour spend above k × their trailing hourly average and a floor; `estimate_drift`: a job kind's charged ÷ estimated ratio moved from its baseline; `repeated_402`: one API key refused for credits many times in a window; `ledger_check_failed`: the scheduled ledger check found a broken invariant. Each is raised (and mailed to `ADMIN_EMAIL`) once per subject per window.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: {
                    /** @description Page size (default 50, max 200). */
                    limit?: number;
                    /** @description `next_cursor` of the previous page. */
                    cursor?: string;
                    /** @description Only alerts of this type. */
                    type?: "spend_spike" | "estimate_drift" | "repeated_402" | "ledger_check_failed";
                    /** @description Only alerts about this user. */
                    user_id?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of alerts. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AlertPage"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `forbidden`: Not allowed for this role. */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/credits/limits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Your spend limits
         * @description Your daily and monthly spend limits, the admin's ceilings, what you spent, and your low-credit alert threshold. Limits count credits per UTC day and per calendar month (UTC): what holds placed in the period still hold, plus what was captured of them; released, refunded and dispute-refunded credits give room back. Every hold (jobs, batches, `POST /holds`, `POST /credits/consume`) is checked together with the hold itself, so concurrent requests cannot overshoot: one that would pass a limit gets 402 `spend_limit_reached` with `details: { period, limit, spent, required }` and nothing is held. Limits apply to each credit type's balance; `spent_*` are for `standard`.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Your limits (null = none). */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SpendLimits"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        /**
         * Set your spend limits
         * @description Fields left out stay as they are; null clears one. A limit above the admin's ceiling is refused (400, `details.issues` names the field). Limits count credits per UTC day and per calendar month (UTC): what holds placed in the period still hold, plus what was captured of them; released, refunded and dispute-refunded credits give room back. Every hold (jobs, batches, `POST /holds`, `POST /credits/consume`) is checked together with the hold itself, so concurrent requests cannot overshoot: one that would pass a limit gets 402 `spend_limit_reached` with `details: { period, limit, spent, required }` and nothing is held. Limits apply to each credit type's balance; `spent_*` are for `standard`.
         *
         *     Credit cost: free (holds and charges nothing).
         */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["UpdateSpendLimitsRequest"];
                };
            };
            responses: {
                /** @description Your limits after the change. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["SpendLimits"];
                    };
                };
                /** @description `invalid_request`: Bad JSON, unknown kind, input failing the kind's schema, bad amount; `details.issues` lists field paths. */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `unauthenticated`: No key, or an unknown or revoked key. */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description `internal`: Something failed on our side (never with a stack trace). */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description A chat completion from the configured OpenAI-compatible provider, charged by characters sent and generated. */
        JobInput_ai: {
            prompt?: string;
            messages?: {
                /** @enum {string} */
                role: "system" | "user" | "assistant";
                content: string;
            }[];
            model?: string;
            /** @default 512 */
            max_tokens: number;
        };
        /** @description Runs a streaming operation (csv-to-json, gzip, gunzip, sha256, line-count) over one of your files. */
        JobInput_file: {
            file_id: string;
            /** @enum {string} */
            operation: "csv-to-json" | "gzip" | "gunzip" | "sha256" | "line-count";
        };
        /** @description Runs a script the operator registered, by name, with parameters checked against the script's schema. */
        JobInput_script: {
            script: string;
            parameters?: unknown;
        };
        Estimate: {
            kind: string;
            credits: number;
            credit_type: string;
            breakdown: {
                item: string;
                credits: number;
            }[];
        };
        /** @description Every error has this shape. */
        Error: {
            error: {
                /**
                 * @description Stable, machine-readable.
                 * @enum {string}
                 */
                code: "invalid_request" | "unauthenticated" | "insufficient_credits" | "spend_limit_reached" | "forbidden" | "account_paused" | "not_found" | "idempotency_conflict" | "invalid_state" | "payload_too_large" | "rate_limited" | "unavailable" | "internal";
                /** @description A sentence for people. */
                message: string;
                details: {
                    [key: string]: unknown;
                };
            };
        };
        EstimateRequest: {
            /** @description A job kind this deployment runs (see the Job kinds section). */
            kind: string;
            /** @description The kind's input; validated by the kind's own schema. */
            input?: unknown;
        };
        Job: {
            /** Format: uuid */
            id: string;
            kind: string;
            /** @enum {string} */
            status: "queued" | "running" | "succeeded" | "failed" | "canceled";
            progress: number;
            input?: unknown;
            /** @description At the end, charged + refunded = estimated. */
            credits: {
                /** @description The hold placed at submission (the most this job can cost). */
                estimated: number;
                /** @description Still reserved now; 0 once the job is final. */
                held: number;
                charged: number;
                /** @description Released back: unused remainder, cancellation or platform failure. */
                refunded: number;
            };
            result?: unknown;
            error: {
                /** @enum {string} */
                type: "user" | "system";
                message: string;
            } | null;
            attempts: number;
            batch_id: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            started_at: string | null;
            /** Format: date-time */
            finished_at: string | null;
            /** @description GET /jobs and /jobs/:id: the job's newest dispute, or null. */
            dispute?: {
                /** Format: uuid */
                id: string;
                /** @enum {string} */
                status: "open" | "under_review" | "resolved";
                /** @enum {string|null} */
                outcome: "refunded" | "rejected" | null;
                disputed_credits: number;
                refunded_credits: number;
            } | null;
            /**
             * Format: date-time
             * @description Present when input and result were dropped after JOB_RETENTION_DAYS (both are then null); credits and status are kept.
             */
            pruned_at?: string;
        };
        SubmitJobRequest: {
            /** @description A job kind this deployment runs. */
            kind: string;
            /** @description The kind's input; validated by the kind's own schema. */
            input?: unknown;
            /** @description Refuse (402) if the estimate is higher than this. */
            max_credits?: number;
            /** @description Admins only: hold and charge at most this many credits instead of the estimate. */
            credit_amount?: number;
        };
        JobPage: {
            data: components["schemas"]["Job"][];
            /** @description Pass as `cursor` for the next page; null on the last. */
            next_cursor: string | null;
        };
        PricingCatalogue: {
            min_job_credits: number;
            bytes_per_mb: number;
            ai_hold_chars_per_token: number;
            rows: {
                kind: string;
                item: string;
                unit: string;
                credits: number;
                credit_type: string;
            }[];
        };
        File: {
            /** Format: uuid */
            id: string;
            name: string;
            content_type: string;
            size_bytes: number;
            /** @description Hex sha256 of the content, computed while it was stored. */
            sha256: string;
            /** @description The job that produced this file; null for uploads. */
            source_job_id: string | null;
            /** Format: date-time */
            created_at: string;
        };
        FilesPage: {
            data: components["schemas"]["File"][];
            /** @description Pass as `cursor` for the next page; null on the last. */
            next_cursor: string | null;
        };
        Batch: {
            /** Format: uuid */
            id: string;
            /**
             * @description `active` while any job is queued or running.
             * @enum {string}
             */
            status: "active" | "finished";
            credit_type: string;
            /** @description Sums over the batch's jobs; `estimated` is the total held at submission. */
            credits: {
                estimated: number;
                held: number;
                charged: number;
                refunded: number;
            };
            counts: {
                queued: number;
                running: number;
                succeeded: number;
                failed: number;
                canceled: number;
            };
            /** @description In the order they were submitted. */
            jobs: components["schemas"]["Job"][];
            /** Format: date-time */
            created_at: string;
        };
        BatchesPage: {
            data: components["schemas"]["BatchSummary"][];
            /** @description Pass as `cursor` for the next page; null on the last. */
            next_cursor: string | null;
        };
        /** @description A batch as lists show it: everything GET /batches/:id answers except `jobs`. */
        BatchSummary: {
            /** Format: uuid */
            id: string;
            /**
             * @description `active` while any job is queued or running.
             * @enum {string}
             */
            status: "active" | "finished";
            credit_type: string;
            /** @description Sums over the batch's jobs; `estimated` is the total held at submission. */
            credits: {
                estimated: number;
                held: number;
                charged: number;
                refunded: number;
            };
            counts: {
                queued: number;
                running: number;
                succeeded: number;
                failed: number;
                canceled: number;
            };
            /** Format: date-time */
            created_at: string;
        };
        /** @description available = posted − held. */
        Balance: {
            credit_type: string;
            available: number;
            held: number;
            posted: number;
            /** @enum {string} */
            status: "active" | "paused";
            /** @description Credits owed after a Stripe refund or lost chargeback took back credits that were already spent. While > 0, new jobs, holds and consumes are refused with 402 `insufficient_credits` (`details.reason: "debt"`); a purchase repays it first, or an admin forgives it. */
            debt: number;
            /** @description Purchased credits frozen by an open chargeback (not in `posted`; given back if the chargeback is won). */
            frozen: number;
            by_type: {
                credit_type: string;
                available: number;
                held: number;
                posted: number;
            }[];
        };
        TransactionPage: {
            data: components["schemas"]["Transaction"][];
            /** @description Pass as `cursor` for the next page; null on the last. */
            next_cursor: string | null;
        };
        /** @description `capture` is a charge of a hold of POST /holds, `consume` one of POST /credits/consume. */
        Transaction: {
            /** Format: uuid */
            id: string;
            /** @enum {string} */
            type: "grant" | "purchase" | "subscription" | "hold" | "charge" | "release" | "refund" | "expire" | "adjustment" | "dispute_refund" | "clawback" | "capture" | "consume";
            /** @description Always positive; `type` says which way it moved. */
            amount: number;
            credit_type: string;
            description: string | null;
            job_id: string | null;
            /** @description The hold (POST /holds) this transaction belongs to; null otherwise. */
            hold_id: string | null;
            /** Format: date-time */
            created_at: string;
        };
        /** @description One calendar month (UTC) of the caller's credits; `held` is as of now. */
        CreditSummary: {
            period: {
                month: string;
                /** Format: date-time */
                start: string;
                /** Format: date-time */
                end: string;
            };
            /** @description Credits added: grants, purchases, subscriptions and admin additions. */
            granted: number;
            /** @description Credits charged for jobs. */
            spent: number;
            /** @description Holds given back because the platform failed, and credits given back by resolved disputes (`dispute_refund`). */
            refunded: number;
            /** @description Unused parts of holds given back (jobs that used less, cancellations). */
            released: number;
            expired: number;
            /** @description Credits an admin removed. */
            removed: number;
            /** @description Reserved right now by unfinished jobs. */
            held: number;
            /**
             * @description US dollars as a decimal string.
             * @example 1.20
             */
            spent_usd: string;
            /**
             * @description US dollars as a decimal string.
             * @example 1.20
             */
            usd_per_credit: string;
            granted_by_type: {
                grant: number;
                purchase: number;
                subscription: number;
                adjustment: number;
            };
            spend_by_kind: {
                kind: string;
                jobs: number;
                credits: number;
                /**
                 * @description US dollars as a decimal string.
                 * @example 1.20
                 */
                usd: string;
            }[];
            by_credit_type: {
                credit_type: string;
                /** @description Credits added: grants, purchases, subscriptions and admin additions. */
                granted: number;
                /** @description Credits charged for jobs. */
                spent: number;
                /** @description Holds given back because the platform failed, and credits given back by resolved disputes (`dispute_refund`). */
                refunded: number;
                /** @description Unused parts of holds given back (jobs that used less, cancellations). */
                released: number;
                expired: number;
                /** @description Credits an admin removed. */
                removed: number;
                /** @description Reserved right now by unfinished jobs. */
                held: number;
            }[];
        };
        CreditRate: {
            /**
             * @description US dollars as a decimal string.
             * @example 1.20
             */
            usd_per_credit: string;
            cents_per_credit: number;
        };
        CreatedUser: {
            /** Format: uuid */
            id: string;
            email: string;
            name: string | null;
            /** @enum {string} */
            role: "user" | "admin" | "service";
            /** @enum {string} */
            status: "active" | "paused";
            /** Format: date-time */
            created_at: string;
            /** @description Shown only in this response; store it now. */
            api_key: string;
        };
        CreateUserRequest: {
            email: string;
            name?: string;
            /**
             * @description `service`: an application's key that may act for users by passing `user_id`.
             * @default user
             * @enum {string}
             */
            role: "user" | "admin" | "service";
        };
        UserPage: {
            data: components["schemas"]["User"][];
            /** @description Pass as `cursor` for the next page; null on the last. */
            next_cursor: string | null;
        };
        User: {
            /** Format: uuid */
            id: string;
            email: string;
            name: string | null;
            /** @enum {string} */
            role: "user" | "admin" | "service";
            /** @enum {string} */
            status: "active" | "paused";
            /** Format: date-time */
            created_at: string;
        };
        AdminUser: {
            /** Format: uuid */
            id: string;
            email: string;
            name: string | null;
            /** @enum {string} */
            role: "user" | "admin" | "service";
            /** @enum {string} */
            status: "active" | "paused";
            /** Format: date-time */
            created_at: string;
            /** @description Why the credit service is paused: `admin: <reason>` (or `admin`), or `chargeback:<Stripe dispute id>` while a chargeback on a purchase is open; null when active. */
            pause_reason: string | null;
            /** @description Credits owed after refunds or lost chargebacks (see Balance.debt). */
            debt: number;
            /** @description Credits frozen by open chargebacks. */
            frozen: number;
        };
        ForgiveResult: {
            /** Format: uuid */
            user_id: string;
            /** @description Credits of debt cleared. */
            forgiven: number;
            /** @description What the user owes now (0). */
            debt: number;
        };
        ForgiveDebtRequest: {
            /** @description Why the debt is forgiven, for the audit log. */
            reason: string;
        };
        AdminCreditsResult: {
            transaction: components["schemas"]["Transaction"];
            balance: components["schemas"]["Balance"];
        };
        AddCreditsRequest: {
            /** Format: uuid */
            user_id: string;
            amount: number;
            /**
             * @description Credit type (default "standard").
             * @default standard
             * @example standard
             */
            credit_type: string;
            description: string;
            /**
             * Format: date-time
             * @description When the unspent part of this grant expires (default: never).
             */
            expires_at?: string;
            /** @description Why, for the audit log (default: the description). */
            reason?: string;
        };
        RemoveCreditsRequest: {
            /** Format: uuid */
            user_id: string;
            amount: number;
            /**
             * @description Credit type (default "standard").
             * @default standard
             * @example standard
             */
            credit_type: string;
            description: string;
            /** @description Why, for the audit log (default: the description). */
            reason?: string;
        };
        CreditStatusRequest: {
            /** Format: uuid */
            user_id: string;
            /** @description Why, for the audit log. */
            reason?: string;
        };
        SpendLimits: {
            /** @description The daily limit in force: yours, or the admin's ceiling if lower; null = none. */
            daily: number | null;
            /** @description The monthly limit in force; null = none. */
            monthly: number | null;
            /** @description The admin's ceiling on your daily limit; null = none. */
            ceiling_daily: number | null;
            ceiling_monthly: number | null;
            /** @description Credits held or charged by holds placed this UTC day, less releases, refunds and dispute refunds. */
            spent_today: number;
            /** @description The same for this calendar month (UTC). */
            spent_this_month: number;
            /** @description Your low-credit alert threshold; null = the default rule. */
            low_credit_threshold: number | null;
        };
        /** @description All-time totals over every user account, from one consistent snapshot. */
        SystemCreditSummary: {
            /** Format: date-time */
            as_of: string;
            /** @description Every credit ever put into user accounts (grants, purchases, subscriptions, admin additions). */
            issued: number;
            spent: number;
            /** @description Holds released because the platform failed (never charged). */
            refunded: number;
            /** @description Charged credits given back by resolved disputes. */
            dispute_refunded: number;
            released: number;
            expired: number;
            removed: number;
            held: number;
            /** @description Posted balance of all users: issued − spent + dispute_refunded − expired − removed. */
            outstanding: number;
            /** @description outstanding − held. */
            available: number;
            issued_by_type: {
                grant: number;
                purchase: number;
                subscription: number;
                adjustment: number;
            };
            /**
             * @description US dollars as a decimal string.
             * @example 1.20
             */
            spent_usd: string;
            /**
             * @description US dollars as a decimal string.
             * @example 1.20
             */
            outstanding_usd: string;
            users: {
                total: number;
                active: number;
                paused: number;
            };
            by_credit_type: {
                credit_type: string;
                /** @description Every credit ever put into user accounts (grants, purchases, subscriptions, admin additions). */
                issued: number;
                spent: number;
                /** @description Holds released because the platform failed (never charged). */
                refunded: number;
                /** @description Charged credits given back by resolved disputes. */
                dispute_refunded: number;
                released: number;
                expired: number;
                removed: number;
                held: number;
                /** @description Posted balance of all users: issued − spent + dispute_refunded − expired − removed. */
                outstanding: number;
                /** @description outstanding − held. */
                available: number;
            }[];
        };
        /** @description Credits spent per UTC day across all users (the `charge` transfers the system summary counts as spent), oldest day first, every day present. */
        SystemSpendByDay: {
            /** Format: date-time */
            as_of: string;
            /**
             * @description First day (UTC), YYYY-MM-DD.
             * @example 2025-06-01
             */
            from: string;
            /**
             * @description Last day (UTC, today), YYYY-MM-DD.
             * @example 2025-06-30
             */
            to: string;
            days: number;
            /** @description Credits spent over the whole window (the sum of `by_day[].spent`). */
            total: number;
            /**
             * @description US dollars as a decimal string.
             * @example 1.20
             */
            total_usd: string;
            by_day: {
                /** @example 2025-06-30 */
                date: string;
                spent: number;
                /**
                 * @description US dollars as a decimal string.
                 * @example 1.20
                 */
                spent_usd: string;
                by_kind: {
                    /** @description The job kind; `other` for charges without a job (captured holds, consume). */
                    kind: string;
                    credits: number;
                }[];
            }[];
        };
        Dispute: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            user_id: string;
            /** @enum {string} */
            status: "open" | "under_review" | "resolved";
            /** Format: uuid */
            job_id: string | null;
            /** Format: uuid */
            transaction_id: string | null;
            /** @description What the item was charged (less what earlier disputes of it gave back). */
            disputed_credits: number;
            /** @enum {string} */
            reason: "failed_job" | "wrong_charge" | "quality" | "other";
            description: string;
            /** @enum {string|null} */
            outcome: "refunded" | "rejected" | null;
            refunded_credits: number;
            admin_note: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            /** Format: date-time */
            resolved_at: string | null;
        };
        OpenDisputeRequest: {
            /**
             * Format: uuid
             * @description The job disputed (its charge). Give this or `transaction_id`.
             */
            job_id?: string;
            /**
             * Format: uuid
             * @description A charge transaction disputed. Give this or `job_id`.
             */
            transaction_id?: string;
            /** @enum {string} */
            reason: "failed_job" | "wrong_charge" | "quality" | "other";
            /** @description What went wrong, in your words. */
            description: string;
        };
        DisputePage: {
            data: components["schemas"]["Dispute"][];
            /** @description Pass as `cursor` for the next page; null on the last. */
            next_cursor: string | null;
        };
        DisputeStats: {
            by_status: {
                open: number;
                under_review: number;
                resolved: number;
            };
            by_outcome: {
                refunded: number;
                rejected: number;
            };
            refunded_credits: number;
            /** @description Median hours from opening to resolution; null when none is resolved. */
            median_hours_to_resolve: number | null;
            top_reasons: {
                /** @enum {string} */
                reason: "failed_job" | "wrong_charge" | "quality" | "other";
                count: number;
            }[];
        };
        ReviewDisputeRequest: {
            /** @description Shown to the user as the admin note; recorded in the audit log. */
            note?: string;
        };
        ResolveDisputeRequest: {
            /** @enum {string} */
            outcome: "refund" | "reject";
            /** @description Refunds only: 1 … disputed_credits (default: all disputed). */
            credits?: number;
            /** @description Why; shown to the user and recorded in the audit log. */
            note: string;
        };
        AuditPage: {
            data: components["schemas"]["AuditEntry"][];
            /** @description Pass as `cursor` for the next page; null on the last. */
            next_cursor: string | null;
        };
        AuditEntry: {
            /** Format: uuid */
            id: string;
            /**
             * Format: uuid
             * @description The admin who acted.
             */
            actor_id: string | null;
            action: string;
            /**
             * Format: uuid
             * @description The user acted on.
             */
            user_id: string | null;
            before: {
                [key: string]: unknown;
            } | null;
            after: {
                [key: string]: unknown;
            } | null;
            reason: string | null;
            /** @description The X-Request-Id of the request that did it. */
            request_id: string | null;
            /** Format: date-time */
            created_at: string;
        };
        DashboardSession: {
            user: components["schemas"]["User"];
            /** Format: date-time */
            expires_at?: string;
        };
        SignInRequest: {
            api_key: string;
        } | {
            sign_in_token: string;
        };
        CreditLotPage: {
            data: components["schemas"]["CreditLot"][];
            next_cursor: null;
        };
        CreditLot: {
            /** Format: uuid */
            id: string;
            credit_type: string;
            category: ("subscription" | "purchase" | "promotional" | "admin") | string;
            /** @description Credits granted. */
            amount: number;
            /** @description Credits left (> 0). */
            remaining: number;
            /** Format: date-time */
            expires_at: string | null;
            /** Format: date-time */
            created_at: string;
        };
        Hold: {
            /** Format: uuid */
            id: string;
            /** Format: uuid */
            user_id: string;
            /** @enum {string} */
            status: "pending" | "captured" | "released" | "expired";
            credit_type: string;
            credits: {
                /** @description What the hold reserved; once resolved, captured + released = held. */
                held: number;
                captured: number;
                released: number;
            };
            description: string | null;
            metadata: {
                [key: string]: unknown;
            } | null;
            /** Format: date-time */
            expires_at: string;
            /** Format: date-time */
            created_at: string;
        };
        CreateHoldRequest: {
            /** @description Credits to reserve. */
            credits: number;
            /**
             * @description Credit type (default "standard").
             * @default standard
             * @example standard
             */
            credit_type: string;
            /**
             * @description Seconds until the hold expires and is released (default 3600, max 86400).
             * @default 3600
             */
            ttl_seconds: number;
            description?: string;
            /** @description Your own JSON object, returned as given (at most 8 KB). */
            metadata?: {
                [key: string]: unknown;
            };
            /**
             * Format: uuid
             * @description Act for this user: `service` and `admin` keys only (a `user` key may name only itself; 403 otherwise).
             */
            user_id?: string;
        };
        HoldPage: {
            data: components["schemas"]["Hold"][];
            /** @description Pass as `cursor` for the next page; null on the last. */
            next_cursor: string | null;
        };
        CaptureHoldRequest: {
            /** @description Credits to charge, 1…held (default: all held); the rest is released. */
            credits?: number;
            description?: string;
            /**
             * Format: uuid
             * @description Act for this user: `service` and `admin` keys only (a `user` key may name only itself; 403 otherwise).
             */
            user_id?: string;
        };
        ReleaseHoldRequest: {
            /**
             * Format: uuid
             * @description Act for this user: `service` and `admin` keys only (a `user` key may name only itself; 403 otherwise).
             */
            user_id?: string;
        };
        ConsumeResult: {
            transaction: components["schemas"]["Transaction"];
            balance: components["schemas"]["Balance"];
        };
        ConsumeRequest: {
            /** @description Credits to charge now. */
            credits: number;
            /**
             * @description Credit type (default "standard").
             * @default standard
             * @example standard
             */
            credit_type: string;
            description: string;
            /** @description Your own JSON object, returned as given (at most 8 KB). */
            metadata?: {
                [key: string]: unknown;
            };
            /**
             * Format: uuid
             * @description Act for this user: `service` and `admin` keys only (a `user` key may name only itself; 403 otherwise).
             */
            user_id?: string;
        };
        /** @description `affordable` is false for a paused account whatever the balance. */
        CreditCheck: {
            affordable: boolean;
            available: number;
            required: number;
        };
        PurchaseQuoteRequest: {
            credits: number;
            promo_code?: string;
        };
        PurchaseRequest: {
            credits: number;
            promo_code?: string;
            /** @description Where Stripe sends the buyer after paying ({CHECKOUT_SESSION_ID} is filled in). */
            success_url?: string;
            /** @description Where Stripe sends the buyer who gives up. */
            cancel_url?: string;
        };
        LowCreditThresholdRequest: {
            /** @description Alert when the available balance falls below this; null restores the default (10% of the last grant, at least 10). */
            threshold: number | null;
        };
        SubscribeRequest: {
            /** @description A package id (UUID) or code (starter, professional, enterprise). */
            package_id: string;
            success_url?: string;
            cancel_url?: string;
        };
        AssignPlanRequest: {
            /** @description A package id (UUID) or code (starter, professional, enterprise). */
            package_id: string;
        };
        CreatePromotionRequest: {
            code: string;
            description?: string;
            /** @enum {string} */
            kind: "percent" | "fixed";
            percent_off?: number;
            amount_off_cents?: number;
            /** Format: date-time */
            starts_at?: string;
            /** Format: date-time */
            ends_at?: string;
            max_redemptions?: number;
            /** @description Uses per user (reserved or paid checkouts). Default 1; null = no per-user limit. */
            max_redemptions_per_user?: number | null;
            min_credits?: number;
        };
        UpdatePromotionRequest: {
            description?: string | null;
            /** Format: date-time */
            ends_at?: string | null;
            /** @description Total uses; null = unlimited. Cannot go below the uses already counted (400). */
            max_redemptions?: number | null;
            /** @description Uses per user; null = no per-user limit. */
            max_redemptions_per_user?: number | null;
            active?: boolean;
        };
        Profile: {
            id: string;
            email: string;
            name: string | null;
            /** @enum {string} */
            role: "user" | "admin" | "service";
            /** @enum {string} */
            status: "active" | "paused";
            /** @description The live subscription's plan; null without one. */
            plan: {
                package_id: string;
                code: string;
                name: string;
                /** @enum {string} */
                status: "incomplete" | "incomplete_expired" | "trialing" | "active" | "past_due" | "unpaid" | "paused" | "canceled";
                /** @enum {string} */
                source: "stripe" | "admin";
                /** Format: date-time */
                current_period_end: string;
                cancel_at_period_end: boolean;
            } | null;
            /** Format: date-time */
            created_at: string;
        };
        ApiKeyPage: {
            data: components["schemas"]["ApiKey"][];
            /** @description Pass as `cursor` for the next page; null on the last. */
            next_cursor: string | null;
        };
        ApiKey: {
            id: string;
            name: string | null;
            /** @description The key's first characters, to tell keys apart. */
            prefix: string;
            /** Format: date-time */
            created_at: string;
            /**
             * Format: date-time
             * @description Recorded at most once a minute.
             */
            last_used_at: string | null;
            /** Format: date-time */
            revoked_at: string | null;
        };
        ApiKeyCreated: {
            id: string;
            name: string | null;
            prefix: string;
            /** @description The key itself: shown only in this reply (only its hash is stored). */
            api_key: string;
            /** Format: date-time */
            created_at: string;
        };
        CreateApiKeyRequest: {
            /** @description What the key is for, e.g. `ci` or `billing-backend`. */
            name: string;
        };
        AlertPage: {
            data: components["schemas"]["Alert"][];
            /** @description Pass as `cursor` for the next page; null on the last. */
            next_cursor: string | null;
        };
        Alert: {
            id: string;
            /** @enum {string} */
            type: "spend_spike" | "estimate_drift" | "repeated_402" | "ledger_check_failed";
            user_id: string | null;
            /** @description What was seen and the thresholds it crossed; `summary` is a sentence. */
            details: {
                [key: string]: unknown;
            };
            /** Format: date-time */
            created_at: string;
        };
        UpdateSpendLimitsRequest: {
            /** @description Credits you may spend per UTC day; null clears your own limit (an admin ceiling still applies). */
            daily?: number | null;
            /** @description Credits you may spend per calendar month (UTC); null clears your own limit. */
            monthly?: number | null;
            /** @description Email me when my available balance falls below this; null: the default (10 % of the last grant, at least 10). */
            low_credit_threshold?: number | null;
        };
        UpdateSpendCeilingsRequest: {
            /** @description Highest daily limit the user may set; null removes the ceiling. Below the user's limit, it lowers that limit. */
            ceiling_daily?: number | null;
            /** @description Highest monthly limit the user may set; null removes the ceiling. */
            ceiling_monthly?: number | null;
            /** @description Why, for the audit log. */
            reason?: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
