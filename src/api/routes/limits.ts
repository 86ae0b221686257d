/** Spend limits: the caller's own (GET/PUT /credits/limits) and an admin's ceilings (PUT /admin/users/:id/limits). */
import { Router } from "express";
import type { AppContext } from "../../context";
import { limitsOf, updateCeilings, updateLimits } from "../../credits/spend-limits";
import { currentUser, requireAdmin } from "../auth";
import { updateCeilingsBody, updateLimitsBody } from "../limits-schemas";
import { requestIdOf } from "../request-id";
import { parse } from "../validate";

export function limitsRouter(ctx: AppContext): Router {
  const r = Router();

  r.get("/credits/limits", async (req, res) => {
    res.json(await limitsOf(ctx, currentUser(req).id));
  });

  r.put("/credits/limits", async (req, res) => {
    res.json(await updateLimits(ctx, currentUser(req).id, parse(updateLimitsBody, req.body)));
  });

  r.put("/admin/users/:id/limits", requireAdmin(), async (req, res) => {
    const b = parse(updateCeilingsBody, req.body);
    res.json(await updateCeilings(ctx, String(req.params.id), b, { actorId: currentUser(req).id, requestId: requestIdOf(req), reason: b.reason }));
  });

  return r;
}
