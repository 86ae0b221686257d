/** The caller's own credits: balance, history, monthly summary and the rate. */
import { Router } from "express";
import { CENTS_PER_CREDIT, centsToDollars } from "../../lib/money";
import type { AppContext } from "../../context";
import * as credits from "../../credits/account";
import { monthlySummary } from "../../credits/summary";
import { actingUser } from "../acting-user";
import { currentUser } from "../auth";
import { actingBalanceQuery, actingTransactionsQuery } from "../holds-schemas";
import { summaryQuery } from "../schemas";
import { parse } from "../validate";

export function creditsRouter(ctx: AppContext): Router {
  const r = Router();

  r.get("/credits/balance", async (req, res) => {
    const q = parse(actingBalanceQuery, req.query, "query");
    // ★ in API.md: a service (or admin) key may ask for the user named by user_id.
    res.json(await credits.balanceView(ctx, await actingUser(ctx, req), q.credit_type));
  });

  r.get("/credits/transactions", async (req, res) => {
    const q = parse(actingTransactionsQuery, req.query, "query");
    res.json(await credits.transactionHistory(ctx, (await actingUser(ctx, req)).id, q));
  });

  r.get("/credits/summary", async (req, res) => {
    const q = parse(summaryQuery, req.query, "query");
    res.json(await monthlySummary(ctx, currentUser(req).id, q.month));
  });

  r.get("/credits/rate", (_req, res) => {
    res.json({ usd_per_credit: centsToDollars(CENTS_PER_CREDIT), cents_per_credit: CENTS_PER_CREDIT });
  });

  return r;
}
