/**
 * Holds for an application's own work, and one-shot consume / check.
 * Routes marked ★ in API.md act for `user_id` when a service or admin key
 * names one (see ../acting-user.ts).
 */
import { Router } from "express";
import type { AppContext } from "../../context";
import * as holds from "../../holds/service";
import { captureHoldBody, checkQuery, consumeBody, createHoldBody, listHoldsQuery, releaseHoldBody, userQuery } from "../holds-schemas";
import { actingUser } from "../acting-user";
import { currentUser } from "../auth";
import { requestIdempotency } from "../idempotency";
import { creditRateLimit } from "../rate-limit";
import { parse } from "../validate";

export function holdsRouter(ctx: AppContext): Router {
  const r = Router();

  r.post("/holds", creditRateLimit(ctx), async (req, res) => {
    const body = parse(createHoldBody, req.body);
    const out = await holds.createHold(ctx, currentUser(req), await actingUser(ctx, req), body, requestIdempotency(req));
    if (out.replayed) res.set("Idempotent-Replayed", "true");
    res.status(201).json(out.hold);
  });

  r.get("/holds", async (req, res) => {
    const q = parse(listHoldsQuery, req.query, "query");
    res.json(await holds.holdsOf(ctx, await actingUser(ctx, req), q));
  });

  r.get("/holds/:id", async (req, res) => {
    parse(userQuery, req.query, "query");
    res.json(await holds.getHold(ctx, await actingUser(ctx, req), req.params.id));
  });

  r.post("/holds/:id/capture", async (req, res) => {
    const body = parse(captureHoldBody, req.body ?? {});
    const out = await holds.captureHold(ctx, await actingUser(ctx, req), req.params.id, body, requestIdempotency(req));
    if (out.replayed) res.set("Idempotent-Replayed", "true");
    res.json(out.hold);
  });

  r.post("/holds/:id/release", async (req, res) => {
    parse(releaseHoldBody, req.body ?? {});
    const out = await holds.releaseHold(ctx, await actingUser(ctx, req), req.params.id, requestIdempotency(req));
    if (out.replayed) res.set("Idempotent-Replayed", "true");
    res.json(out.hold);
  });

  r.post("/credits/consume", creditRateLimit(ctx), async (req, res) => {
    const body = parse(consumeBody, req.body);
    const out = await holds.consumeCredits(ctx, currentUser(req), await actingUser(ctx, req), body, requestIdempotency(req));
    if (out.replayed) res.set("Idempotent-Replayed", "true");
    res.status(201).json({ transaction: out.transaction, balance: out.balance });
  });

  r.get("/credits/check", async (req, res) => {
    const q = parse(checkQuery, req.query, "query");
    res.json(await holds.checkCredits(ctx, await actingUser(ctx, req), q.credits, q.credit_type));
  });

  return r;
}
