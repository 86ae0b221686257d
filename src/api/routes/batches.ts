import { Router } from "express";
import type { AppContext } from "../../context";
import { cancelBatch } from "../../jobs/batch-cancel";
import { listBatches, listBatchesQuery } from "../../jobs/batch-list";
import * as batches from "../../jobs/batches";
import { currentUser } from "../auth";
import { requestIdempotency } from "../idempotency";
import { creditRateLimit } from "../rate-limit";
import type { ApiServices } from "../services";
import { parse } from "../validate";

/** POST /batches (all or nothing: one hold check for the total), list, read, and cancel every job not final yet. */
export function batchesRouter(ctx: AppContext, { admission }: ApiServices): Router {
  const r = Router();

  r.post("/batches", creditRateLimit(ctx), async (req, res) => {
    const body = parse(batches.batchBody, req.body);
    const out = await batches.createBatch(ctx, admission, currentUser(req), body, requestIdempotency(req));
    if (out.replayed) res.set("Idempotent-Replayed", "true");
    res.status(202).json(out.batch);
  });

  r.get("/batches", async (req, res) => {
    res.json(await listBatches(ctx, currentUser(req), parse(listBatchesQuery, req.query, "query")));
  });

  r.get("/batches/:id", async (req, res) => {
    res.json(await batches.getBatchView(ctx, currentUser(req), req.params.id));
  });

  r.post("/batches/:id/cancel", async (req, res) => {
    res.json(await cancelBatch(ctx, currentUser(req), req.params.id));
  });

  return r;
}
