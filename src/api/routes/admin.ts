/**
 * Admin routes: users and their credits. Everything under /admin needs an
 * admin key (403 forbidden otherwise); the guard is scoped to that path so
 * this router never affects routes mounted after it.
 */
import { type Response, Router } from "express";
import type { AppContext } from "../../context";
import { balanceOfUser, historyOfUser } from "../../credits/account";
import { addCredits, type AdminCreditsResult, removeCredits } from "../../credits/admin-credits";
import { createUserByAdmin, getUserView, listUsers, setCreditStatus } from "../../credits/admin-users";
import { forgiveDebt } from "../../credits/debts";
import { monthlySummaryOfUser } from "../../credits/summary";
import { systemSummary } from "../../credits/system-summary";
import { systemSpendByDay } from "../../credits/system-spend";
import { limitsOf } from "../../credits/spend-limits";
import { NotFound } from "../../errors";
import { UUID_RE } from "../../lib/ids";
import { currentUser, requireAdmin } from "../auth";
import { idempotencyKeyFrom } from "../idempotency";
import { requestIdOf } from "../request-id";
import { addCreditsBody, balanceQuery, createUserBody, creditStatusBody, forgiveBody, listUsersQuery, removeCreditsBody, summaryQuery, systemSpendQuery, transactionsQuery } from "../schemas";
import { parse } from "../validate";

export function adminRouter(ctx: AppContext): Router {
  const r = Router();
  r.use("/admin", requireAdmin());

  r.post("/admin/users", async (req, res) => {
    res.status(201).json(await createUserByAdmin(ctx, parse(createUserBody, req.body)));
  });

  r.get("/admin/users", async (req, res) => {
    res.json(await listUsers(ctx, parse(listUsersQuery, req.query, "query")));
  });

  r.get("/admin/users/:id", async (req, res) => {
    res.json(await getUserView(ctx, req.params.id));
  });

  r.post("/admin/users/:id/forgive", async (req, res) => {
    const b = parse(forgiveBody, req.body);
    res.json(await forgiveDebt(ctx, req.params.id, { actorId: currentUser(req).id, requestId: requestIdOf(req), reason: b.reason }));
  });

  r.get("/admin/users/:id/balance", async (req, res) => {
    res.json(await balanceOfUser(ctx, req.params.id, parse(balanceQuery, req.query, "query").credit_type));
  });

  r.get("/admin/users/:id/transactions", async (req, res) => {
    res.json(await historyOfUser(ctx, req.params.id, parse(transactionsQuery, req.query, "query")));
  });

  r.get("/admin/users/:id/summary", async (req, res) => {
    res.json(await monthlySummaryOfUser(ctx, req.params.id, parse(summaryQuery, req.query, "query").month));
  });

  // The read side of PUT /admin/users/:id/limits (routes/limits.ts): the admin's user page shows the ceilings it edits.
  r.get("/admin/users/:id/limits", async (req, res) => {
    if (!UUID_RE.test(req.params.id)) throw new NotFound("User");
    res.json(await limitsOf(ctx, req.params.id));
  });

  const replyCredits = (res: Response, out: AdminCreditsResult) => {
    if (out.replayed) res.set("Idempotent-Replayed", "true");
    res.status(201).json({ transaction: out.transaction, balance: out.balance });
  };

  r.post("/admin/credits/add", async (req, res) => {
    const b = parse(addCreditsBody, req.body);
    const change = { userId: b.user_id, amount: b.amount, creditType: b.credit_type, description: b.description, expiresAt: b.expires_at ? new Date(b.expires_at) : undefined, reason: b.reason };
    replyCredits(res, await addCredits(ctx, currentUser(req), change, idempotencyKeyFrom(req), requestIdOf(req)));
  });

  r.post("/admin/credits/remove", async (req, res) => {
    const b = parse(removeCreditsBody, req.body);
    const change = { userId: b.user_id, amount: b.amount, creditType: b.credit_type, description: b.description, reason: b.reason };
    replyCredits(res, await removeCredits(ctx, currentUser(req), change, idempotencyKeyFrom(req), requestIdOf(req)));
  });

  for (const [op, status] of [["pause", "paused"], ["resume", "active"]] as const) {
    r.post(`/admin/credits/${op}`, async (req, res) => {
      const b = parse(creditStatusBody, req.body);
      res.json(await setCreditStatus(ctx, b.user_id, status, { actorId: currentUser(req).id, requestId: requestIdOf(req), reason: b.reason }));
    });
  }

  r.get("/admin/credits/system/summary", async (_req, res) => {
    res.json(await systemSummary(ctx));
  });

  r.get("/admin/credits/system/spend", async (req, res) => {
    res.json(await systemSpendByDay(ctx, parse(systemSpendQuery, req.query, "query").days));
  });

  return r;
}
