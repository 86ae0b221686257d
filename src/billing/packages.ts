/**
 * Plans (packages): what each costs per month, how many credits a period
 * grants, and whether those roll over. Seeded by the Billing migration.
 * Each package maps to one recurring Stripe Price: the operator may set
 * `stripe_price_id`, otherwise it is created on first use.
 */
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import { sql } from "../db/sql";
import { InvalidRequest } from "../errors";
import { UUID_RE } from "../lib/ids";
import { toInt } from "../ledger/types";
import { centsToDollars } from "../lib/money";
import type { Stripe } from "./stripe-client";

export interface PackageRow {
  id: string;
  code: string;
  name: string;
  description: string | null;
  price_cents: number;
  currency: string;
  interval: "month";
  credits: string;
  credit_type: string;
  features: string[];
  rollover: boolean;
  purchase_discount_percent: number;
  stripe_price_id: string | null;
  active: boolean;
}

export interface PackageView {
  id: string;
  code: string;
  name: string;
  description: string | null;
  price_cents: number;
  price: string;
  currency: string;
  interval: "month";
  credits: number;
  credit_type: string;
  features: string[];
  rollover: boolean;
  purchase_discount_percent: number;
}

const COLUMNS = `id, code, name, description, price_cents, currency, interval, credits, credit_type, features, rollover,
  purchase_discount_percent, stripe_price_id, active`;

export function packageView(p: PackageRow): PackageView {
  return {
    id: p.id, code: p.code, name: p.name, description: p.description, price_cents: p.price_cents, price: centsToDollars(p.price_cents),
    currency: p.currency, interval: p.interval, credits: toInt(p.credits), credit_type: p.credit_type, features: p.features,
    rollover: p.rollover, purchase_discount_percent: p.purchase_discount_percent,
  };
}

export async function listPackages(m: EntityManager): Promise<PackageRow[]> {
  return sql(m, `SELECT ${COLUMNS} FROM packages WHERE active ORDER BY sort_order, price_cents`);
}

/** An active package by id or code, or a 400 naming the field. */
export async function requirePackage(ctx: AppContext, idOrCode: string): Promise<PackageRow> {
  const pkg = await findPackage(ctx.ds.manager, idOrCode);
  if (!pkg || !pkg.active) {
    throw new InvalidRequest(`There is no plan "${idOrCode}"; GET /api/v1/packages lists them.`, { issues: [{ path: "package_id", message: "unknown package" }] });
  }
  return pkg;
}

/** By id (UUID) or code ("starter"); null when unknown. */
export async function findPackage(m: EntityManager, idOrCode: string): Promise<PackageRow | null> {
  const byId = UUID_RE.test(idOrCode);
  const rows: PackageRow[] = await sql(m, `SELECT ${COLUMNS} FROM packages WHERE ${byId ? "id = $1::uuid" : "code = lower($1)"}`, [idOrCode]);
  return rows[0] ?? null;
}

export async function getPackage(m: EntityManager, id: string): Promise<PackageRow> {
  const rows: PackageRow[] = await sql(m, `SELECT ${COLUMNS} FROM packages WHERE id = $1`, [id]);
  if (!rows[0]) throw new Error(`package ${id} does not exist`);
  return rows[0];
}

/**
 * The package a Stripe Price stands for: the `package_id` we put in the
 * price's metadata when we created it, else the operator-set stripe_price_id.
 */
export async function packageForPrice(m: EntityManager, price: string | Stripe.Price | null | undefined): Promise<PackageRow | null> {
  if (!price) return null;
  const id = typeof price === "string" ? price : price.id;
  const meta = typeof price === "string" ? undefined : price.metadata?.package_id;
  if (meta && UUID_RE.test(meta)) {
    const rows: PackageRow[] = await sql(m, `SELECT ${COLUMNS} FROM packages WHERE id = $1`, [meta]);
    if (rows[0]) return rows[0];
  }
  const rows: PackageRow[] = await sql(m, `SELECT ${COLUMNS} FROM packages WHERE stripe_price_id = $1`, [id]);
  return rows[0] ?? null;
}

/**
 * packageForPrice, also for a price this database did not create (e.g. made
 * for an earlier install): then its metadata names the package, which may
 * take a Stripe call — so call it before anything locks an account.
 */
export async function packageForStripePrice(m: EntityManager, stripe: Stripe, price: string | Stripe.Price | null | undefined): Promise<PackageRow | null> {
  const known = await packageForPrice(m, price);
  if (known || !price) return known;
  return packageForPrice(m, typeof price === "string" ? await stripe.prices.retrieve(price) : price);
}

/**
 * The package's recurring Stripe Price id, created on first use. The
 * idempotency key is derived from the package and its price, so concurrent
 * first uses get the same Stripe Price; the conditional UPDATE keeps the
 * first id stored.
 */
export async function ensureStripePrice(ctx: AppContext, stripe: Stripe, pkg: PackageRow): Promise<string> {
  if (pkg.stripe_price_id) return pkg.stripe_price_id;
  const price = await stripe.prices.create(
    {
      currency: pkg.currency,
      unit_amount: pkg.price_cents,
      recurring: { interval: pkg.interval },
      product_data: { name: `Holdfast ${pkg.name}`, metadata: { package_id: pkg.id } },
      metadata: { package_id: pkg.id, package_code: pkg.code, credits: String(toInt(pkg.credits)) },
    },
    { idempotencyKey: `holdfast-price-${pkg.id}-${pkg.price_cents}` },
  );
  const rows = await sql<{ stripe_price_id: string }>(
    ctx.ds,
    `UPDATE packages SET stripe_price_id = coalesce(stripe_price_id, $2) WHERE id = $1 RETURNING stripe_price_id`,
    [pkg.id, price.id],
  );
  pkg.stripe_price_id = rows[0]!.stripe_price_id;
  return pkg.stripe_price_id;
}
