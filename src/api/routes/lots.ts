/** GET /credits/lots (the caller's) and GET /admin/users/:id/lots: open credit lots and their expiry. */
import { Router } from "express";
import type { AppContext } from "../../context";
import { openLots, openLotsOfUser } from "../../credits/lots";
import { currentUser, requireAdmin } from "../auth";
import { idParam } from "../schemas";
import { parse } from "../validate";

export function lotsRouter(ctx: AppContext): Router {
  const r = Router();
  r.get("/credits/lots", async (req, res) => {
    res.json(await openLots(ctx, currentUser(req).id));
  });
  r.get("/admin/users/:id/lots", requireAdmin(), async (req, res) => {
    res.json(await openLotsOfUser(ctx, parse(idParam, req.params, "path").id));
  });
  return r;
}
