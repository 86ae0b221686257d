/**
 * GET /me: who the caller is, with their plan. The user comes from the
 * authenticated request (at most AUTH_CACHE_TTL_MS old for active users; a
 * paused user is always read fresh), the plan from their live subscription.
 */
import { sql } from "../db/sql";
import type { AppContext } from "../context";
import type { CreditStatus, Role, User } from "../entities/user";
import { liveSubscription } from "./subscriptions";
import type { SubscriptionSource, SubscriptionStatus } from "../entities/subscription";

export interface PlanView {
  /** The package (see GET /packages). */
  package_id: string;
  code: string;
  name: string;
  status: SubscriptionStatus;
  source: SubscriptionSource;
  current_period_end: string;
  cancel_at_period_end: boolean;
}

export interface ProfileView {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  status: CreditStatus;
  /** The live subscription's plan; null without one. */
  plan: PlanView | null;
  created_at: string;
}

export async function profile(ctx: AppContext, user: User): Promise<ProfileView> {
  const s = await liveSubscription(ctx.ds.manager, user.id);
  let plan: PlanView | null = null;
  if (s) {
    const pkgs = await sql<{ code: string; name: string }>(ctx.ds, `SELECT code, name FROM packages WHERE id = $1`, [s.package_id]);
    plan = {
      package_id: s.package_id, code: pkgs[0]?.code ?? "unknown", name: pkgs[0]?.name ?? "Unknown plan", status: s.status, source: s.source,
      current_period_end: s.current_period_end.toISOString(), cancel_at_period_end: s.cancel_at_period_end,
    };
  }
  return {
    id: user.id, email: user.email, name: user.name, role: user.role, status: user.creditStatus, plan,
    created_at: user.createdAt.toISOString(),
  };
}
