/**
 * Admin additions and removals of a user's credits.
 *
 * Retry safety: with an Idempotency-Key the transfer id is derived from
 * (admin id, key), so even a retry that arrives after the key's record was
 * pruned cannot grant twice (the ledger treats a known transfer id as a
 * no-op). The key is also claimed in idempotency_keys with a fingerprint of
 * the operation and body, in the same transaction as the transfer, so the
 * same key with a different request is 409 idempotency_conflict and a
 * concurrent duplicate waits for the first and then replays it.
 *
 * Audit: each applied change writes an audit_log entry (balance before and
 * after, the reason) in the same transaction; a replay writes none.
 */
import { randomUUID } from "node:crypto";
import { recordAudit } from "../audit/audit-log";
import type { AppContext } from "../context";
import type { User } from "../entities/user";
import { AppError, InvalidRequest } from "../errors";
import { claimIdempotencyKey, fingerprint } from "../db/idempotency";
import { derivedId } from "../lib/ids";
import * as ledger from "../ledger";
import { type BalanceView, balanceView, requireUser, transactionById } from "./account";
import type { HistoryTransaction } from "./history";

export interface CreditsChange {
  userId: string;
  /** Whole credits, > 0; the direction is the operation. */
  amount: number;
  creditType: string;
  description: string;
  /** Additions only: when the grant's unspent part expires. */
  expiresAt?: Date;
  /** Why, for the audit log (default: the description). */
  reason?: string;
}

export interface AdminCreditsResult {
  transaction: HistoryTransaction;
  balance: BalanceView;
  /** True when an Idempotency-Key replay answered with the earlier transfer. */
  replayed: boolean;
}

const SCOPE = "admin-credits";

/** Add credits (an `adjustment` that creates an `admin` lot). */
export function addCredits(
  ctx: AppContext, admin: User, change: CreditsChange, idempotencyKey?: string, requestId: string | null = null,
): Promise<AdminCreditsResult> {
  return adjustCredits(ctx, admin, "add", change, idempotencyKey, requestId);
}

/** Remove credits; more than the user has available is 402 insufficient_credits and changes nothing. */
export async function removeCredits(
  ctx: AppContext, admin: User, change: CreditsChange, idempotencyKey?: string, requestId: string | null = null,
): Promise<AdminCreditsResult> {
  try {
    return await adjustCredits(ctx, admin, "remove", change, idempotencyKey, requestId);
  } catch (err) {
    // The ledger's sentence is a job's ("This needs …"): say what the admin asked for, same details.
    if (err instanceof AppError && err.code === "insufficient_credits") {
      const available = Number(err.details.available);
      throw new AppError("insufficient_credits",
        `Cannot remove ${change.amount} ${change.creditType} credits: only ${available} are available (credits held for jobs or holds cannot be removed).`,
        err.details);
    }
    throw err;
  }
}

async function adjustCredits(
  ctx: AppContext, admin: User, op: "add" | "remove", c: CreditsChange, idempotencyKey: string | undefined, requestId: string | null,
): Promise<AdminCreditsResult> {
  if (c.expiresAt && c.expiresAt.getTime() <= ctx.clock.now().getTime()) {
    throw new InvalidRequest("expires_at must be in the future.", { issues: [{ path: "expires_at", message: "must be in the future" }] });
  }
  const transferId = idempotencyKey ? derivedId(admin.id, `${SCOPE}:${idempotencyKey}`) : randomUUID();
  const outcome = await ctx.ds.transaction(async (m) => {
    const user = await requireUser(m, c.userId);
    let replayed = false;
    if (idempotencyKey) {
      const requestHash = fingerprint({ op, user_id: c.userId, amount: c.amount, credit_type: c.creditType, description: c.description, expires_at: c.expiresAt?.toISOString() ?? null, ...(c.reason ? { reason: c.reason } : {}) });
      replayed = (await claimIdempotencyKey(m, admin.id, SCOPE, { key: idempotencyKey, requestHash }, transferId)) !== null;
    }
    if (!replayed) {
      const signed = op === "add" ? c.amount : -c.amount;
      await ledger.adjust(m, {
        id: transferId, userId: user.id, amount: signed, creditType: c.creditType,
        description: c.description, expiresAt: c.expiresAt ?? null, metadata: { admin_id: admin.id },
      });
      // Read after the transfer, while this transaction holds the account's row lock: `before` is
      // `after` less this transfer, so the pair is exact even if other transfers ran just before.
      const after = await ledger.balances(m, user.id, c.creditType);
      await recordAudit(m, {
        actorId: admin.id, requestId, action: op === "add" ? "credits.add" : "credits.remove", userId: user.id,
        before: { credit_type: c.creditType, available: after.available - signed, posted: after.posted - signed, held: after.held },
        after: { credit_type: c.creditType, available: after.available, posted: after.posted, held: after.held, transaction_id: transferId },
        reason: c.reason ?? c.description,
      });
    }
    return { user, replayed };
  });
  if (!outcome.replayed) {
    ctx.logger.info({ adminId: admin.id, userId: c.userId, op, amount: c.amount, creditType: c.creditType, transferId }, "admin credit adjustment");
  }
  return {
    transaction: await transactionById(ctx.ds.manager, transferId),
    balance: await balanceView(ctx, outcome.user, c.creditType),
    replayed: outcome.replayed,
  };
}
