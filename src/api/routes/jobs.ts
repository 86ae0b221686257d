import { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { AppError, InvalidRequest } from "../../errors";
import * as jobs from "../../jobs/service";
import { currentUser } from "../auth";
import { parse } from "../validate";

const credits = z.number().int("must be a whole number of credits").positive("must be positive").max(Number.MAX_SAFE_INTEGER);

export const estimateBody = z.object({ kind: z.string().min(1).max(100), input: z.unknown() }).strict();
export const submitBody = z
  .object({
    kind: z.string().min(1).max(100),
    input: z.unknown(),
    max_credits: credits.optional(),
    credit_amount: credits.optional(),
  })
  .strict();

export function idempotencyFrom(header: string | undefined, body: unknown): jobs.Idempotency | undefined {
  if (header === undefined) return undefined;
  if (header.length < 1 || header.length > 255) {
    throw new InvalidRequest("Idempotency-Key must be 1–255 characters.", { issues: [{ path: "Idempotency-Key", message: "bad length" }] });
  }
  return { key: header, requestHash: jobs.fingerprint(body) };
}

export function jobsRouter(ctx: AppContext): Router {
  const r = Router();

  r.post("/estimates", async (req, res) => {
    const body = parse(estimateBody, req.body);
    res.json(await jobs.estimate(ctx, currentUser(req), body.kind, body.input));
  });

  r.post("/jobs", async (req, res) => {
    const user = currentUser(req);
    const body = parse(submitBody, req.body);
    if (body.credit_amount !== undefined && user.role !== "admin") {
      throw new AppError("forbidden", "Only admins may set credit_amount.");
    }
    const out = await jobs.submitJob(ctx, user, body, idempotencyFrom(req.get("idempotency-key"), req.body));
    if (out.replayed) res.set("Idempotent-Replayed", "true");
    res.status(202).json(out.job);
  });

  r.get("/jobs", async (req, res) => {
    res.json(await jobs.listJobs(ctx, currentUser(req), parse(jobs.listQuery, req.query, "query")));
  });

  r.get("/jobs/:id", async (req, res) => {
    res.json(await jobs.getJobView(ctx, currentUser(req), req.params.id));
  });

  r.post("/jobs/:id/cancel", async (req, res) => {
    res.json(await jobs.cancelJob(ctx, currentUser(req), req.params.id));
  });

  return r;
}
