/** The caller's own credits: balance, history, monthly summary and the rate. */
import { Router } from "express";
import { CENTS_PER_CREDIT, centsToDollars } from "../../lib/money";
import type { AppContext } from "../../context";
import * as credits from "../../credits/account";
import { monthlySummary } from "../../credits/summary";
import { currentUser } from "../auth";
import { balanceQuery, summaryQuery, transactionsQuery } from "../schemas";
import { parse } from "../validate";

export function creditsRouter(ctx: AppContext): Router {
  const r = Router();

  r.get("/credits/balance", async (req, res) => {
    const q = parse(balanceQuery, req.query, "query");
    res.json(await credits.balanceView(ctx, currentUser(req), q.credit_type));
  });

  r.get("/credits/transactions", async (req, res) => {
    res.json(await credits.transactionHistory(ctx, currentUser(req).id, parse(transactionsQuery, req.query, "query")));
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
