/** Admin: the anomaly alerts (src/alerts), newest first. */
import { Router } from "express";
import { listAlerts } from "../../alerts/list";
import type { AppContext } from "../../context";
import { requireAdmin } from "../auth";
import { alertsQuery } from "../schemas";
import { parse } from "../validate";

export function alertsRouter(ctx: AppContext): Router {
  const r = Router();
  r.get("/admin/alerts", requireAdmin(), async (req, res) => {
    res.json(await listAlerts(ctx, parse(alertsQuery, req.query, "query")));
  });
  return r;
}
