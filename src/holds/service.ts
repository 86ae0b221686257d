/**
 * Holds for an application's own work: the same pending ledger transfers a
 * job's hold is, with their own TTL.
 *
 * Exactly once: capture, release and expiry each resolve the hold with a
 * transfer id derived from the hold id (`capture`, `release`, and the
 * reaper's `expire`), and the ledger's conditional update on the pending row
 * decides which comes first. The losers (and a repeat of the winner without
 * an Idempotency-Key) get 409 invalid_state. With an Idempotency-Key the key
 * is claimed in the same transaction, so a replay answers like the first
 * call (200 with the hold) and changes nothing.
 */
import { sql } from "../db/sql";
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { claimIdempotencyKey, fingerprint, type Idempotency } from "../db/idempotency";
import type { User } from "../entities/user";
import { InvalidRequest, InvalidState, LedgerConflict, NotFound } from "../errors";
import { derivedId } from "../lib/ids";
import * as ledger from "../ledger";
import { accountPaused, assertActive } from "../users/status";
import { assertNoDebt, debtState, NO_DEBT } from "../credits/debts";
import { type BalanceView, balanceView, transactionById } from "../credits/account";
import type { HistoryTransaction } from "../credits/history";
import type { Page } from "../lib/pagination";
import { findHold, type HoldRow, type HoldStatus, type HoldView, holdView, listHolds, toHoldView } from "./view";

/** POST /holds, as parsed (src/api/holds-schemas.ts). */
export interface CreateHoldRequest {
  credits: number;
  credit_type: string;
  ttl_seconds: number;
  description?: string;
  metadata?: Record<string, unknown>;
}

/** POST /holds/:id/capture, as parsed; no `credits` captures all held. */
export interface CaptureHoldRequest {
  credits?: number;
  description?: string;
}

/** POST /credits/consume, as parsed. */
export interface ConsumeRequest {
  credits: number;
  credit_type: string;
  description: string;
  metadata?: Record<string, unknown>;
}

export interface HoldResult {
  hold: HoldView;
  /** True when an Idempotency-Key replay answered with the earlier result. */
  replayed: boolean;
}

/** Settlement ids, one per way a hold can end. The reaper expires orphan holds with derivedId(id, "expire") too. */
export const captureId = (holdId: string) => derivedId(holdId, "capture");
export const releaseId = (holdId: string) => derivedId(holdId, "release");
export const expireId = (holdId: string) => derivedId(holdId, "expire");

/**
 * Insert the app_holds row only while the user is active in the database
 * (not just when the request was authenticated), then hold in the ledger.
 * The ledger's hold checks spend limits and expired lots under the account's
 * row lock (402 spend_limit_reached / insufficient_credits, nothing held).
 */
async function placeHold(
  ctx: AppContext, m: EntityManager, h: { id: string; user: User; actor: User; kind: "hold" | "consume"; credits: number; creditType: string;
    ttlSeconds: number; description: string | null; metadata: Record<string, unknown> | null },
): Promise<void> {
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + h.ttlSeconds * 1000);
  const inserted: unknown[] = await sql(m,
    `INSERT INTO app_holds (id, user_id, kind, credit_type, credits, description, metadata, ttl_seconds, expires_at, created_by)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2 AND credit_status = 'active')
       AND ${NO_DEBT("$2")}
     RETURNING id`,
    [h.id, h.user.id, h.kind, h.creditType, h.credits, h.description, h.metadata ? JSON.stringify(h.metadata) : null, h.ttlSeconds, expiresAt, h.actor.id],
  );
  if (inserted.length === 0) {
    // Refused: say why (an outstanding debt, else the pause).
    await assertNoDebt(m, h.user.id, { required: h.credits, creditType: h.creditType });
    const [u] = await sql<{ pause_reason: string | null }>(m, `SELECT pause_reason FROM users WHERE id = $1`, [h.user.id]);
    throw accountPaused(u?.pause_reason);
  }
  await ledger.hold(m, {
    id: h.id, userId: h.user.id, amount: h.credits, creditType: h.creditType, expiresAt,
    description: h.description ?? (h.kind === "hold" ? "Hold" : "Consume"),
  });
}

/** POST /holds: reserve credits until captured, released or expired. 402 when not affordable. */
export async function createHold(ctx: AppContext, actor: User, user: User, req: CreateHoldRequest, idem?: Idempotency): Promise<HoldResult> {
  assertActive(user);
  // Keyed: the hold id derives from the key, so even a retry after the key's record was pruned holds once.
  const id = idem ? derivedId(user.id, `holds:${idem.key}`) : randomUUID();
  const prior = await ctx.ds.transaction(async (m) => {
    if (idem && (await claimIdempotencyKey(m, user.id, "holds", idem, id))) return true;
    await placeHold(ctx, m, {
      id, user, actor, kind: "hold", credits: req.credits, creditType: req.credit_type, ttlSeconds: req.ttl_seconds,
      description: req.description ?? null, metadata: req.metadata ?? null,
    });
    return false;
  });
  return { hold: await holdView(ctx.ds.manager, user.id, id), replayed: prior };
}

type Resolution = { op: "capture"; credits?: number; description?: string } | { op: "release" };

/** POST /holds/:id/capture: charge up to what is held (default all), release the rest. */
export function captureHold(ctx: AppContext, user: User, id: string, req: CaptureHoldRequest, idem?: Idempotency): Promise<HoldResult> {
  return resolveHold(ctx, user, id, { op: "capture", credits: req.credits, description: req.description }, idem);
}

/** POST /holds/:id/release: give everything back. */
export function releaseHold(ctx: AppContext, user: User, id: string, idem?: Idempotency): Promise<HoldResult> {
  return resolveHold(ctx, user, id, { op: "release" }, idem);
}

async function resolveHold(ctx: AppContext, user: User, id: string, r: Resolution, idem?: Idempotency): Promise<HoldResult> {
  const outcome = await ctx.ds.transaction(async (m): Promise<"done" | "replayed" | "expired"> => {
    const h = await findHold(m, user.id, id);
    if (!h) throw new NotFound("Hold");
    if (r.op === "capture" && r.credits !== undefined && r.credits > ledger.toInt(h.credits)) {
      throw new InvalidRequest(`Cannot capture ${r.credits} credits: this hold holds ${h.credits}.`, {
        issues: [{ path: "credits", message: `must be at most ${h.credits}` }], held: ledger.toInt(h.credits),
      });
    }
    if (h.state === "pending" && h.expires_at.getTime() <= ctx.clock.now().getTime()) {
      // Past its expiry but not reaped yet: expire it now (the reaper's own id, so only one of us does).
      await ledger.expirePending(m, { id: expireId(h.id), pendingId: h.id, releaseType: "release", description: "Hold expired" });
      return "expired";
    }
    // The key is per hold: the same key on another hold is another request.
    if (idem && (await claimIdempotencyKey(m, user.id, `holds.${r.op}`, { key: idem.key, requestHash: fingerprint({ hold: h.id, body: idem.requestHash }) }, h.id))) {
      return "replayed";
    }
    if (h.state !== "pending") throw notPending(toHoldView(h).status);
    const settled = await settle(m, h, r);
    // Another resolution won between our read and the ledger's conditional update (or a repeat of ours).
    if (settled.status !== "created") throw notPending(settled.status.startsWith("already_") ? STATUS_OF[settled.status] : r.op === "capture" ? "captured" : "released");
    return "done";
  });
  const hold = await holdView(ctx.ds.manager, user.id, id);
  // Thrown after the commit: the expiry above must stick.
  if (outcome === "expired") throw notPending(hold.status);
  return { hold, replayed: outcome === "replayed" };
}

async function settle(m: EntityManager, h: HoldRow, r: Resolution): Promise<ledger.SettleResult | { status: "conflict" }> {
  try {
    if (r.op === "capture") {
      return await ledger.post(m, {
        id: captureId(h.id), pendingId: h.id, amount: r.credits ?? ledger.toInt(h.credits), releaseType: "release",
        description: r.description ?? h.description ?? "Capture",
      });
    }
    return await ledger.voidHold(m, { id: releaseId(h.id), pendingId: h.id, releaseType: "release", description: h.description ?? "Release" });
  } catch (err) {
    // An earlier capture with the same id but another amount won: for the caller the hold is simply no longer pending.
    if (err instanceof LedgerConflict) return { status: "conflict" };
    throw err;
  }
}

const STATUS_OF: Record<string, HoldStatus> = { already_posted: "captured", already_voided: "released", already_expired: "expired" };

function notPending(status: HoldStatus): InvalidState {
  return new InvalidState(`This hold is ${status}, no longer pending.`, { status });
}

export interface ConsumeResult {
  transaction: HistoryTransaction;
  balance: BalanceView;
  replayed: boolean;
}

/**
 * POST /credits/consume: hold and capture in ONE transaction, so the charge
 * is all or nothing; 402 when short, and nothing changes.
 */
export async function consumeCredits(ctx: AppContext, actor: User, user: User, req: ConsumeRequest, idem?: Idempotency): Promise<ConsumeResult> {
  assertActive(user);
  const id = idem ? derivedId(user.id, `consume:${idem.key}`) : randomUUID();
  const replayed = await ctx.ds.transaction(async (m) => {
    if (idem && (await claimIdempotencyKey(m, user.id, "consume", idem, id))) return true;
    await placeHold(ctx, m, {
      id, user, actor, kind: "consume", credits: req.credits, creditType: req.credit_type, ttlSeconds: 60,
      description: req.description, metadata: req.metadata ?? null,
    });
    const r = await ledger.post(m, { id: captureId(id), pendingId: id, amount: req.credits, releaseType: "release", description: req.description });
    if (r.status !== "created") throw new Error(`consume ${id}: the hold it just placed settled as ${r.status}`);
    return false;
  });
  return {
    transaction: await transactionById(ctx.ds.manager, captureId(id)),
    balance: await balanceView(ctx, user, req.credit_type),
    replayed,
  };
}

export interface CheckResult {
  affordable: boolean;
  available: number;
  required: number;
}

/** GET /credits/check: could `credits` be held now? (A paused account, or one that owes a debt, can afford nothing.) */
export async function checkCredits(ctx: AppContext, user: User, credits: number, creditType?: string): Promise<CheckResult> {
  const b = await ledger.balances(ctx.ds.manager, user.id, creditType);
  const { debt } = await debtState(ctx.ds.manager, user.id);
  return { affordable: user.creditStatus === "active" && debt === 0 && b.available >= credits, available: b.available, required: credits };
}

/** GET /holds/:id (404 for another user's hold). */
export function getHold(ctx: AppContext, user: User, id: string): Promise<HoldView> {
  return holdView(ctx.ds.manager, user.id, id);
}

/** GET /holds?status= */
export function holdsOf(ctx: AppContext, user: User, q: { limit: number; cursor?: string; status?: HoldStatus }): Promise<Page<HoldView>> {
  return listHolds(ctx.ds.manager, user.id, q);
}
