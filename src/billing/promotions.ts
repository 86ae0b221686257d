/**
 * Promotion codes for credit purchases: percent or fixed cents off, valid in
 * a date window, with a total and a per-user usage limit.
 *
 * A checkout reserves a use when it is created (limits count reservations and
 * redemptions alike, so two open checkouts cannot both take the last use);
 * the use is redeemed when Stripe reports the payment, or released when the
 * checkout expires.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import { InvalidRequest } from "../errors";
import { toInt } from "../ledger/types";
import { centsToDollars } from "../lib/money";

export interface PromotionRow {
  id: string;
  code: string;
  description: string | null;
  kind: "percent" | "fixed";
  percent_off: number | null;
  amount_off_cents: number | null;
  starts_at: Date | null;
  ends_at: Date | null;
  max_redemptions: number | null;
  max_redemptions_per_user: number | null;
  min_credits: string | null;
  active: boolean;
  created_at: Date;
}

function refuse(message: string, reason: string): InvalidRequest {
  return new InvalidRequest(message, { issues: [{ path: "promo_code", message: reason }] });
}

interface Usage {
  total: number;
  mine: number;
}

async function usage(m: EntityManager, promotionId: string, userId: string): Promise<Usage> {
  const rows: { total: string; mine: string }[] = await sql(m,
    `SELECT count(*) AS total, count(*) FILTER (WHERE user_id = $2) AS mine
       FROM promotion_redemptions WHERE promotion_id = $1 AND status <> 'released'`,
    [promotionId, userId],
  );
  return { total: toInt(rows[0]!.total), mine: toInt(rows[0]!.mine) };
}

/**
 * The promotion behind `code` if this user may use it now for this many
 * credits; otherwise a 400 that says why. `lock` takes the promotion row
 * FOR UPDATE so the limit check and the reservation that follows cannot be
 * interleaved with another checkout's (the race that would oversell a limit).
 */
export async function usablePromotion(
  m: EntityManager, code: string, userId: string, credits: number, now: Date, lock = false,
): Promise<PromotionRow> {
  const rows: PromotionRow[] = await sql(m,
    `SELECT * FROM promotions WHERE upper(code) = upper($1)${lock ? " FOR UPDATE" : ""}`,
    [code],
  );
  const p = rows[0];
  if (!p || !p.active) throw refuse(`The promotion code "${code}" does not exist.`, "unknown code");
  if (p.starts_at && now < p.starts_at) throw refuse(`The promotion code "${code}" is valid from ${p.starts_at.toISOString()}.`, "not yet valid");
  if (p.ends_at && now >= p.ends_at) throw refuse(`The promotion code "${code}" expired on ${p.ends_at.toISOString()}.`, "expired");
  if (p.min_credits !== null && credits < toInt(p.min_credits)) {
    throw refuse(`The promotion code "${code}" needs a purchase of at least ${toInt(p.min_credits)} credits.`, "below minimum");
  }
  if (p.max_redemptions !== null || p.max_redemptions_per_user !== null) {
    const u = await usage(m, p.id, userId);
    if (p.max_redemptions !== null && u.total >= p.max_redemptions) {
      throw refuse(`The promotion code "${code}" has been used up.`, "usage limit reached");
    }
    if (p.max_redemptions_per_user !== null && u.mine >= p.max_redemptions_per_user) {
      throw refuse(`You have already used the promotion code "${code}" as often as it allows.`, "per-user limit reached");
    }
  }
  return p;
}

/** Reserve one use for a checkout (caller's transaction; call after usablePromotion(…, lock = true)). */
export async function reservePromotion(m: EntityManager, promotionId: string, userId: string, checkoutId: string): Promise<void> {
  await sql(m,
    `INSERT INTO promotion_redemptions (checkout_id, promotion_id, user_id) VALUES ($1, $2, $3) ON CONFLICT (checkout_id) DO NOTHING`,
    [checkoutId, promotionId, userId],
  );
}

/** The checkout was paid: its reserved use becomes a redemption. */
export async function redeemPromotion(m: EntityManager, checkoutId: string): Promise<void> {
  await sql(m, `UPDATE promotion_redemptions SET status = 'redeemed' WHERE checkout_id = $1 AND status = 'reserved'`, [checkoutId]);
}

/** The checkout expired unpaid: give its use back. */
export async function releasePromotion(m: EntityManager, checkoutId: string): Promise<void> {
  await sql(m, `UPDATE promotion_redemptions SET status = 'released' WHERE checkout_id = $1 AND status = 'reserved'`, [checkoutId]);
}

export interface NewPromotion {
  code: string;
  description?: string | null;
  kind: "percent" | "fixed";
  percent_off?: number;
  amount_off_cents?: number;
  starts_at?: string | null;
  ends_at?: string | null;
  max_redemptions?: number | null;
  max_redemptions_per_user?: number | null;
  min_credits?: number | null;
}

export async function createPromotion(m: EntityManager, p: NewPromotion): Promise<PromotionRow> {
  const rows: PromotionRow[] = await sql(m,
    `INSERT INTO promotions (code, description, kind, percent_off, amount_off_cents, starts_at, ends_at, max_redemptions,
                             max_redemptions_per_user, min_credits)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT ((upper(code))) DO NOTHING RETURNING *`,
    [p.code, p.description ?? null, p.kind, p.kind === "percent" ? p.percent_off : null, p.kind === "fixed" ? p.amount_off_cents : null,
      p.starts_at ?? null, p.ends_at ?? null, p.max_redemptions ?? null, p.max_redemptions_per_user ?? null, p.min_credits ?? null],
  );
  if (!rows[0]) throw new InvalidRequest(`A promotion with the code "${p.code}" already exists.`, { issues: [{ path: "code", message: "already exists" }] });
  return rows[0];
}

export async function listPromotions(m: EntityManager): Promise<(PromotionRow & { used: string })[]> {
  return sql(m,
    `SELECT p.*, (SELECT count(*) FROM promotion_redemptions r WHERE r.promotion_id = p.id AND r.status <> 'released') AS used
       FROM promotions p ORDER BY p.created_at DESC, p.id DESC LIMIT 500`,
  );
}

export function promotionView(p: PromotionRow & { used?: string }) {
  return {
    id: p.id,
    code: p.code,
    description: p.description,
    kind: p.kind,
    percent_off: p.percent_off,
    amount_off_cents: p.amount_off_cents,
    amount_off: p.amount_off_cents === null ? null : centsToDollars(p.amount_off_cents),
    starts_at: p.starts_at?.toISOString() ?? null,
    ends_at: p.ends_at?.toISOString() ?? null,
    max_redemptions: p.max_redemptions,
    max_redemptions_per_user: p.max_redemptions_per_user,
    min_credits: p.min_credits === null ? null : toInt(p.min_credits),
    times_used: p.used === undefined ? undefined : toInt(p.used),
    active: p.active,
    created_at: p.created_at.toISOString(),
  };
}
