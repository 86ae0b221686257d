/**
 * Promotion codes for credit purchases: percent or fixed cents off, valid in
 * a date window, with a total and a per-user usage limit.
 *
 * A checkout reserves a use when it is created (limits count reservations and
 * redemptions alike, so two open checkouts cannot both take the last use);
 * the use is redeemed when Stripe reports the payment, or released when the
 * checkout expires or is swept as stale.
 *
 * The total limit is a counter on the promotion row (`uses`) moved only by
 * single conditional updates and bounded by a CHECK (uses ≤ max_redemptions),
 * so the database itself refuses an overrun, whatever path a use takes.
 *
 * Per-user limit: `max_redemptions_per_user`, 1 unless the admin says
 * otherwise (null = unlimited), counted over the user's reserved, redeemed
 * and over-limit uses under the promotion row's lock.
 *
 * A late payment (an async payment that succeeds after its reservation was
 * swept): the buyer paid the discounted price, so the credits they paid for
 * are always granted; the use counts again only if the promotion (and the
 * user's per-user limit) still has room. Otherwise it is recorded as
 * `over_limit`, never counted past max_redemptions.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import { InvalidRequest, NotFound } from "../errors";
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
  /** Uses counted against max_redemptions (reserved + redeemed). */
  uses: number;
  min_credits: string | null;
  active: boolean;
  created_at: Date;
}

function refuse(message: string, reason: string): InvalidRequest {
  return new InvalidRequest(message, { issues: [{ path: "promo_code", message: reason }] });
}

const usedUp = (code: string) => refuse(`The promotion code "${code}" has been used up.`, "usage limit reached");

/** The user's uses that count against the per-user limit (call under the promotion row's lock). */
async function usesByUser(m: EntityManager, promotionId: string, userId: string): Promise<number> {
  const rows: { mine: string }[] = await sql(m,
    `SELECT count(*) AS mine FROM promotion_redemptions WHERE promotion_id = $1 AND user_id = $2 AND status <> 'released'`,
    [promotionId, userId],
  );
  return toInt(rows[0]!.mine);
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
  if (p.max_redemptions !== null && p.uses >= p.max_redemptions) throw usedUp(code);
  if (p.max_redemptions_per_user !== null && (await usesByUser(m, p.id, userId)) >= p.max_redemptions_per_user) {
    throw refuse(`You have already used the promotion code "${code}" as often as it allows.`, "per-user limit reached");
  }
  return p;
}

/**
 * Take one use of the promotion for a checkout (caller's transaction; after
 * usablePromotion(…, lock = true)). The counter's conditional update is what
 * decides the last use; 400 when there is none left.
 */
export async function reservePromotion(m: EntityManager, p: PromotionRow, userId: string, checkoutId: string): Promise<void> {
  const taken: unknown[] = await sql(m,
    `UPDATE promotions SET uses = uses + 1 WHERE id = $1 AND (max_redemptions IS NULL OR uses < max_redemptions) RETURNING id`,
    [p.id],
  );
  if (taken.length === 0) throw usedUp(p.code);
  await sql(m, `INSERT INTO promotion_redemptions (checkout_id, promotion_id, user_id) VALUES ($1, $2, $3)`, [checkoutId, p.id, userId]);
}

export type RedeemOutcome = "no_promotion" | "redeemed" | "redeemed_late" | "over_limit" | "already";

/**
 * The checkout was paid: its reserved use becomes a redemption. A use that
 * was released before the payment came (a swept checkout, an async payment
 * days later) counts again only if the promotion and the user's limit still
 * have room; otherwise it is recorded as `over_limit` and not counted (the
 * credits are granted by the caller either way: they were paid for).
 */
export async function redeemPromotion(m: EntityManager, checkoutId: string): Promise<RedeemOutcome> {
  const reserved: unknown[] = await sql(m,
    `UPDATE promotion_redemptions SET status = 'redeemed' WHERE checkout_id = $1 AND status = 'reserved' RETURNING checkout_id`,
    [checkoutId],
  );
  if (reserved.length > 0) return "redeemed";
  const rows: { promotion_id: string; user_id: string; status: string }[] = await sql(m,
    `SELECT promotion_id, user_id, status FROM promotion_redemptions WHERE checkout_id = $1 FOR UPDATE`,
    [checkoutId],
  );
  const r = rows[0];
  if (!r) return "no_promotion";
  if (r.status !== "released") return "already";
  // The promotion row's lock serialises this with reservations and other late payments, so the
  // per-user count below (a new statement, a new snapshot) sees every use committed before us.
  const locked: { max_redemptions_per_user: number | null }[] = await sql(m,
    `SELECT max_redemptions_per_user FROM promotions WHERE id = $1 FOR UPDATE`,
    [r.promotion_id],
  );
  const perUser = locked[0]?.max_redemptions_per_user ?? null;
  const userHasRoom = perUser === null || (await usesByUser(m, r.promotion_id, r.user_id)) < perUser;
  const counted: unknown[] = userHasRoom
    ? await sql(m,
        `UPDATE promotions SET uses = uses + 1 WHERE id = $1 AND (max_redemptions IS NULL OR uses < max_redemptions) RETURNING id`,
        [r.promotion_id],
      )
    : [];
  const status = counted.length > 0 ? "redeemed" : "over_limit";
  await sql(m, `UPDATE promotion_redemptions SET status = $2 WHERE checkout_id = $1`, [checkoutId, status]);
  return counted.length > 0 ? "redeemed_late" : "over_limit";
}

/** Checkouts closed unpaid (expired, refused, swept): give their reserved uses back, in one statement. */
export async function releasePromotions(m: EntityManager, checkoutIds: string[]): Promise<void> {
  if (checkoutIds.length === 0) return;
  await sql(m,
    `WITH released AS (
       UPDATE promotion_redemptions SET status = 'released' WHERE checkout_id = ANY ($1) AND status = 'reserved' RETURNING promotion_id
     )
     UPDATE promotions p SET uses = p.uses - r.n
       FROM (SELECT promotion_id, count(*)::int AS n FROM released GROUP BY promotion_id) r
      WHERE p.id = r.promotion_id`,
    [checkoutIds],
  );
}

/** The checkout expired unpaid: give its use back. */
export async function releasePromotion(m: EntityManager, checkoutId: string): Promise<void> {
  await releasePromotions(m, [checkoutId]);
}

/** A promotion's per-user limit when the admin does not set one. */
export const DEFAULT_MAX_REDEMPTIONS_PER_USER = 1;

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
      p.starts_at ?? null, p.ends_at ?? null, p.max_redemptions ?? null,
      // Once per user unless the admin says otherwise (null = no per-user limit).
      p.max_redemptions_per_user === undefined ? DEFAULT_MAX_REDEMPTIONS_PER_USER : p.max_redemptions_per_user, p.min_credits ?? null],
  );
  if (!rows[0]) throw new InvalidRequest(`A promotion with the code "${p.code}" already exists.`, { issues: [{ path: "code", message: "already exists" }] });
  return rows[0];
}

export async function listPromotions(m: EntityManager): Promise<(PromotionRow & { over_limit: string })[]> {
  return sql(m,
    `SELECT p.*, (SELECT count(*) FROM promotion_redemptions r WHERE r.promotion_id = p.id AND r.status = 'over_limit') AS over_limit
       FROM promotions p ORDER BY p.created_at DESC, p.id DESC LIMIT 500`,
  );
}

export interface PromotionPatch {
  description?: string | null;
  ends_at?: string | null;
  max_redemptions?: number | null;
  max_redemptions_per_user?: number | null;
  active?: boolean;
}

const PATCHABLE = ["description", "ends_at", "max_redemptions", "max_redemptions_per_user", "active"] as const satisfies readonly (keyof PromotionPatch)[];

/**
 * PATCH /admin/promotions/:id. Lowering max_redemptions below the uses
 * already counted is refused (400) by the same conditional update that
 * applies it, so it cannot race a checkout taking a use.
 */
export async function updatePromotion(m: EntityManager, id: string, patch: PromotionPatch): Promise<PromotionRow & { over_limit: string }> {
  const set: string[] = [];
  const values: unknown[] = [id];
  let guard = "";
  for (const column of PATCHABLE) {
    const value = patch[column];
    if (value === undefined) continue;
    values.push(value);
    set.push(`${column} = $${values.length}`);
    if (column === "max_redemptions" && value !== null) guard = ` AND uses <= $${values.length}`;
  }
  const rows: { id: string }[] = set.length === 0
    ? await sql(m, `SELECT id FROM promotions WHERE id = $1`, [id])
    : await sql(m, `UPDATE promotions SET ${set.join(", ")} WHERE id = $1${guard} RETURNING id`, values);
  if (rows.length === 0) {
    const found: PromotionRow[] = await sql(m, `SELECT * FROM promotions WHERE id = $1`, [id]);
    if (!found[0]) throw new NotFound("Promotion");
    throw new InvalidRequest(`The promotion has already been used ${found[0].uses} times; max_redemptions cannot be lower than that.`, {
      issues: [{ path: "max_redemptions", message: `must be at least ${found[0].uses}` }],
    });
  }
  const out: (PromotionRow & { over_limit: string })[] = await sql(m,
    `SELECT p.*, (SELECT count(*) FROM promotion_redemptions r WHERE r.promotion_id = p.id AND r.status = 'over_limit') AS over_limit
       FROM promotions p WHERE p.id = $1`,
    [id],
  );
  return out[0]!;
}

export function promotionView(p: PromotionRow & { over_limit?: string }) {
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
    /** Uses counted against max_redemptions: open checkouts holding one, and paid ones. */
    times_used: p.uses,
    /** Late payments that found no use left: paid and granted, not counted. */
    over_limit_uses: p.over_limit === undefined ? 0 : toInt(p.over_limit),
    active: p.active,
    created_at: p.created_at.toISOString(),
  };
}
