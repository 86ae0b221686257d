/**
 * The one place errors become responses, in API.md's envelope:
 * { "error": { "code", "message", "details" } }. Never a stack trace.
 */
import type { ErrorRequestHandler, RequestHandler } from "express";
import { ZodError } from "zod";
import { record402 } from "../alerts/repeated-402";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { DEPENDENCY_RETRY_AFTER_SECONDS, isDependencyDown } from "../lib/dependency-errors";
import type { Logger } from "../logger";
import { keyHashIfAny, userIfAny } from "./auth";
import { requestIdOf } from "./request-id";

export function errorBody(code: string, message: string, details: Record<string, unknown> = {}) {
  return { error: { code, message, details } };
}

export function notFoundHandler(): RequestHandler {
  return (req, res) => {
    res.status(404).json(errorBody("not_found", `No route for ${req.method} ${req.path}.`));
  };
}

/**
 * Placed just before errorHandler: counts each 402 per API key for the
 * repeated-402 alert (src/alerts/repeated-402.ts), then passes the error on.
 */
export function countRepeated402s(ctx: AppContext): ErrorRequestHandler {
  return (err: unknown, req, _res, next) => {
    if (err instanceof AppError && err.status === 402) {
      const keyHash = keyHashIfAny(req);
      const user = userIfAny(req);
      if (keyHash && user) {
        record402(ctx, keyHash, user.id, err.code).catch((e: unknown) => ctx.logger.debug({ err: e }, "could not count a 402"));
      }
    }
    next(err);
  };
}

interface HttpishError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  /** body-parser's limit in bytes, on entity.too.large. */
  limit?: unknown;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof AppError) {
      if (err.code === "internal" || err.code === "unavailable") logger.warn({ err, path: req.path }, err.message);
      // API.md: a 429 or a 503 says when to come back (the rate limiter sets its own).
      // Not a feature that is not configured: coming back will not help until an operator sets it.
      const notConfigured = err.details.reason === "not_configured";
      if ((err.status === 429 || err.status === 503) && !notConfigured && !res.get("Retry-After")) res.set("Retry-After", String(DEPENDENCY_RETRY_AFTER_SECONDS));
      res.status(err.status).json(errorBody(err.code, err.message, err.details));
      return;
    }
    // PostgreSQL or Redis down or restarting: the client may retry the same request shortly.
    if (isDependencyDown(err)) {
      logger.warn({ err, method: req.method, path: req.path }, "dependency unavailable");
      res.set("Retry-After", String(DEPENDENCY_RETRY_AFTER_SECONDS));
      res.status(503).json(errorBody("unavailable", "A service this request needs (database or queue) is unreachable right now. Retry shortly; with an Idempotency-Key a retry is safe.", {
        retry_after_seconds: DEPENDENCY_RETRY_AFTER_SECONDS,
      }));
      return;
    }
    if (err instanceof ZodError) {
      res.status(400).json(errorBody("invalid_request", "The request is not valid.", {
        issues: err.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
      }));
      return;
    }
    const h = (err ?? {}) as HttpishError;
    // body-parser / raw-body errors
    if (h.type === "entity.parse.failed") {
      res.status(400).json(errorBody("invalid_request", "The body is not valid JSON.", { issues: [{ path: "", message: "malformed JSON" }] }));
      return;
    }
    if (h.type === "entity.too.large" || h.status === 413) {
      // body-parser knows the limit it applied: say it, as an upload's 413 does (max_bytes).
      const limit = typeof h.limit === "number" ? h.limit : undefined;
      res.status(413).json(limit === undefined
        ? errorBody("payload_too_large", "The request body is larger than this endpoint accepts.")
        : errorBody("payload_too_large", `The request body is larger than this endpoint accepts (at most ${limit} bytes).`, { max_bytes: limit }));
      return;
    }
    const status = h.status ?? h.statusCode;
    if (status === 404) {
      res.status(404).json(errorBody("not_found", "Not found."));
      return;
    }
    // Any other client error from Express or body-parser (unsupported charset or encoding, a
    // malformed URI …) is API.md's 400 invalid_request, whatever status the library chose.
    if (status && status >= 400 && status < 500) {
      res.status(400).json(errorBody("invalid_request", "The request could not be read.", { reason: h.type ?? "bad_request" }));
      return;
    }
    logger.error({ err, method: req.method, path: req.path, requestId: requestIdOf(req) }, "unhandled error");
    res.status(500).json(errorBody("internal", "Something went wrong on our side. It has been logged."));
  };
}
