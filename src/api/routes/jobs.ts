/**
 * Jobs: estimate, submit, read, list, cancel. The two routes that can spend
 * credits are behind the per-key rate limit.
 */
import { Router } from "express";
import type { AppContext } from "../../context";
import { jobsWithDisputes, jobWithDispute } from "../../disputes/job-view";
import { AppError } from "../../errors";
import { estimate } from "../../jobs/quote";
import * as jobs from "../../jobs/service";
import { currentUser } from "../auth";
import { requestIdempotency } from "../idempotency";
import { apiMetrics } from "../metrics";
import { creditRateLimit } from "../rate-limit";
import { estimateBody, listJobsQuery, submitBody } from "../schemas";
import type { ApiServices } from "../services";
import { parse } from "../validate";

export function jobsRouter(ctx: AppContext, { admission }: ApiServices): Router {
  const r = Router();
  const limited = creditRateLimit(ctx);

  r.post("/estimates", limited, async (req, res) => {
    const body = parse(estimateBody, req.body);
    res.json(await estimate(ctx, currentUser(req), body.kind, body.input));
  });

  r.post("/jobs", limited, async (req, res) => {
    const user = currentUser(req);
    const body = parse(submitBody, req.body);
    if (body.credit_amount !== undefined && user.role !== "admin") {
      throw new AppError("forbidden", "Only admins may set credit_amount.");
    }
    const out = await admission.submit(user, body, requestIdempotency(req));
    if (out.replayed) res.set("Idempotent-Replayed", "true");
    else apiMetrics(req)?.jobsSubmitted.inc({ kind: out.job.kind });
    res.status(202).json(out.job);
  });

  r.get("/jobs", async (req, res) => {
    res.json(await jobsWithDisputes(ctx, currentUser(req), parse(listJobsQuery, req.query, "query")));
  });

  r.get("/jobs/:id", async (req, res) => {
    res.json(await jobWithDispute(ctx, currentUser(req), req.params.id));
  });

  r.post("/jobs/:id/cancel", async (req, res) => {
    // A job submitted to this API a moment ago may still be on its way to the queue: let it arrive, so the cancel takes it out.
    await admission.handedOff([req.params.id]);
    res.json(await jobs.cancelJob(ctx, currentUser(req), req.params.id));
  });

  return r;
}
