import { Router } from "express";
import type { AppContext } from "../../context";
import { catalogueView } from "../../jobs/price-list";

/** GET /pricing: the pricing catalogue (src/jobs/pricing.ts), the same table the README and /docs show. */
export function pricingRouter(_ctx: AppContext): Router {
  const r = Router();
  r.get("/pricing", (_req, res) => {
    res.json(catalogueView());
  });
  return r;
}
