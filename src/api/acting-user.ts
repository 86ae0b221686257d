/**
 * Routes marked ★ in API.md act for a user named by `user_id` (body or
 * query). A `service` or `admin` key may name any user (404 if there is no
 * such user); a `user` key may only name itself (403 otherwise). Without
 * `user_id` every key acts for its own user.
 */
import type { Request } from "express";
import { z } from "zod";
import type { AppContext } from "../context";
import type { User } from "../entities/user";
import { AppError } from "../errors";
import { requireUser } from "../credits/account";
import { currentUser } from "./auth";
import { uuid } from "./schemas";
import { parse } from "./validate";

/** `user_id` as routes document it (in a body or a query). */
export const actingUserId = uuid.optional().meta({
  description: "Act for this user: `service` and `admin` keys only (a `user` key may name only itself; 403 otherwise).",
});

const fromRequest = z.object({ user_id: actingUserId });

/** The user a ★ route acts for: `user_id` from the body or the query, else the caller. */
export async function actingUser(ctx: AppContext, req: Request): Promise<User> {
  const body: unknown = req.body;
  const raw = body && typeof body === "object" && "user_id" in body ? (body as { user_id: unknown }).user_id : req.query.user_id;
  const { user_id: userId } = parse(fromRequest, { user_id: raw }, body && typeof body === "object" && "user_id" in body ? "request body" : "query");
  const caller = currentUser(req);
  if (userId === undefined || userId.toLowerCase() === caller.id) return caller;
  if (caller.role !== "service" && caller.role !== "admin") {
    throw new AppError("forbidden", "Only service and admin keys may act for another user (user_id).");
  }
  return requireUser(ctx.ds.manager, userId);
}
