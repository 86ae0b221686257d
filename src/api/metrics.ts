/**
 * Prometheus metrics of one app instance: Node's default process metrics,
 * HTTP requests by route pattern and status, jobs submitted and requests
 * rate limited. Each app has its own prom-client Registry (never the global
 * default), so tests can build several apps in one process.
 *
 * Routes reach the instance through `apiMetrics(req)`; other areas (batches)
 * can count their submissions with it too.
 */
import { performance } from "node:perf_hooks";
import type { Express, Request, RequestHandler } from "express";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import type { SubmitPhases } from "../jobs/admission";

export interface ApiMetrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route" | "status">;
  jobsSubmitted: Counter<"kind">;
  rateLimited: Counter;
  submitPhases: Histogram<"phase">;
}

const LOCALS_KEY = "holdfastMetrics";

/** Fine enough under 50 ms to read a p50 and p99 off (npm run bench does, for the 500 req/s phase). */
const SUBMIT_PHASE_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 1];

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: "holdfast_http_requests_total",
      help: "HTTP requests by method, route pattern and status code.",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "holdfast_http_request_duration_seconds",
      help: "HTTP request duration in seconds by method, route pattern and status code.",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    jobsSubmitted: new Counter({
      name: "holdfast_jobs_submitted_total",
      help: "Jobs accepted (202, not counting idempotent replays) by kind.",
      labelNames: ["kind"],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: "holdfast_rate_limited_total",
      help: "Requests refused with 429 by the per-key rate limit.",
      registers: [registry],
    }),
    submitPhases: new Histogram({
      name: "holdfast_submit_phase_seconds",
      help: "Where an admitted unkeyed job submission spent its time: wait (for the group commit's statement in flight), statement (its own ledger statement and commit), handoff (to the queue).",
      labelNames: ["phase"],
      buckets: SUBMIT_PHASE_BUCKETS,
      registers: [registry],
    }),
  };
}

/** Feed JobAdmission's per-submit phases into the histogram. */
export function observeSubmitPhases(m: ApiMetrics): (p: SubmitPhases) => void {
  const wait = m.submitPhases.labels({ phase: "wait" });
  const statement = m.submitPhases.labels({ phase: "statement" });
  const handoff = m.submitPhases.labels({ phase: "handoff" });
  return (p) => {
    wait.observe(p.waitMs / 1000);
    statement.observe(p.statementMs / 1000);
    handoff.observe(p.handoffMs / 1000);
  };
}

/** Make the metrics reachable from any route of `app` (see apiMetrics). */
export function attachMetrics(app: Express, m: ApiMetrics): void {
  app.locals[LOCALS_KEY] = m;
}

export function apiMetrics(req: Request): ApiMetrics | undefined {
  return req.app?.locals[LOCALS_KEY] as ApiMetrics | undefined;
}

/**
 * Count every request when its response finishes. The route label is the
 * matched pattern (/api/v1/jobs/:id), never the raw path, so label
 * cardinality stays bounded; requests no route matched are "unmatched".
 */
export function httpMetrics(m: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const start = performance.now();
    res.once("finish", () => {
      // One labels object for both (startTimer's end() would copy it once more per request).
      const labels = { method: req.method, route: routeLabel(req), status: String(res.statusCode) };
      m.httpRequests.inc(labels);
      m.httpDuration.observe(labels, (performance.now() - start) / 1000);
    });
    next();
  };
}

const ROUTE_BASE = Symbol("holdfast.routeBase");
const ROUTE_LABEL = Symbol("holdfast.routeLabel");
type Labelled = Request & { [ROUTE_BASE]?: string; [ROUTE_LABEL]?: string };

/**
 * Remember the mount path while the router still knows it (req.baseUrl is
 * reset once a router is left, e.g. on the way to the error handler).
 * Installed first in each router mounted under a path.
 */
export function recordRoute(): RequestHandler {
  return (req, _res, next) => {
    (req as Labelled)[ROUTE_BASE] = req.baseUrl;
    next();
  };
}

/** Name requests that no Express route matches but a middleware serves (static docs assets). */
export function labelRoute(label: string): RequestHandler {
  return (req, _res, next) => {
    (req as Labelled)[ROUTE_LABEL] = label;
    next();
  };
}

function routeLabel(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === "string") return `${(req as Labelled)[ROUTE_BASE] ?? req.baseUrl}${path}`;
  return (req as Labelled)[ROUTE_LABEL] ?? "unmatched";
}
