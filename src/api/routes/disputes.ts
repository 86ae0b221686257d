/**
 * Disputes: a user disputes a charge (a job or a charge transaction); admins
 * review and resolve them. And the admin audit log. The /admin paths need an
 * admin key (403 forbidden otherwise).
 */
import { Router } from "express";
import { listAudit } from "../../audit/audit-log";
import type { AppContext } from "../../context";
import { getDispute, listDisputes, openDispute } from "../../disputes/open";
import { resolveDispute, reviewDispute } from "../../disputes/resolve";
import { disputeStats } from "../../disputes/stats";
import { currentUser, requireAdmin } from "../auth";
import { adminDisputeListQuery, auditQuery, disputeListQuery, openDisputeBody, resolveDisputeBody, reviewDisputeBody } from "../dispute-schemas";
import { idempotencyKeyFrom, requestIdempotency } from "../idempotency";
import { requestIdOf } from "../request-id";
import { parse } from "../validate";

export function disputesRouter(ctx: AppContext): Router {
  const r = Router();

  r.post("/disputes", async (req, res) => {
    const b = parse(openDisputeBody, req.body);
    const out = await openDispute(ctx, currentUser(req), {
      jobId: b.job_id, transactionId: b.transaction_id, reason: b.reason, description: b.description,
    }, requestIdempotency(req));
    if (out.replayed) res.set("Idempotent-Replayed", "true");
    res.status(201).json(out.dispute);
  });

  r.get("/disputes", async (req, res) => {
    res.json(await listDisputes(ctx, { ...parse(disputeListQuery, req.query, "query"), user_id: currentUser(req).id }));
  });

  r.get("/disputes/:id", async (req, res) => {
    res.json(await getDispute(ctx, currentUser(req), req.params.id));
  });

  const admin = Router();
  admin.use(requireAdmin());
  const actor = (req: Parameters<typeof requestIdOf>[0]) => ({ actorId: currentUser(req).id, requestId: requestIdOf(req) });

  admin.get("/disputes", async (req, res) => {
    res.json(await listDisputes(ctx, parse(adminDisputeListQuery, req.query, "query")));
  });

  // Before /disputes/:id routes would match "stats" as an id.
  admin.get("/disputes/stats", async (_req, res) => {
    res.json(await disputeStats(ctx));
  });

  admin.post("/disputes/:id/review", async (req, res) => {
    const b = parse(reviewDisputeBody, req.body ?? {});
    res.json(await reviewDispute(ctx, actor(req), req.params.id, b.note));
  });

  admin.post("/disputes/:id/resolve", async (req, res) => {
    const b = parse(resolveDisputeBody, req.body);
    const out = await resolveDispute(ctx, actor(req), req.params.id, b, idempotencyKeyFrom(req));
    if (out.replayed) res.set("Idempotent-Replayed", "true");
    res.json(out.dispute);
  });

  admin.get("/audit", async (req, res) => {
    res.json(await listAudit(ctx, parse(auditQuery, req.query, "query")));
  });

  r.use("/admin", admin);
  return r;
}
