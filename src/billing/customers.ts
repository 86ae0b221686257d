/**
 * Each user is one Stripe Customer, created on their first checkout, so
 * purchases and subscriptions share a payment method and webhooks about a
 * customer map back to the user.
 */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import type { User } from "../entities/user";
import type { Stripe } from "./stripe-client";

export async function findCustomerId(m: EntityManager, userId: string): Promise<string | null> {
  const rows: { customer_id: string }[] = await sql(m, `SELECT customer_id FROM stripe_customers WHERE user_id = $1`, [userId]);
  return rows[0]?.customer_id ?? null;
}

export async function userForCustomer(m: EntityManager, customerId: string): Promise<string | null> {
  const rows: { user_id: string }[] = await sql(m, `SELECT user_id FROM stripe_customers WHERE customer_id = $1`, [customerId]);
  return rows[0]?.user_id ?? null;
}

/** Remember a user ↔ customer pair Stripe told us about (first one wins). */
export async function linkCustomer(m: EntityManager, userId: string, customerId: string): Promise<void> {
  await sql(m, `INSERT INTO stripe_customers (user_id, customer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [userId, customerId]);
}

/**
 * The user's Stripe Customer id, created when missing. The idempotency key
 * derives from the user id, so two racing first checkouts create one customer.
 */
export async function ensureCustomer(ctx: AppContext, stripe: Stripe, user: User): Promise<string> {
  const known = await findCustomerId(ctx.ds.manager, user.id);
  if (known) return known;
  const c = await stripe.customers.create(
    { email: user.email, name: user.name ?? undefined, metadata: { user_id: user.id } },
    { idempotencyKey: `holdfast-customer-${user.id}` },
  );
  await linkCustomer(ctx.ds.manager, user.id, c.id);
  return (await findCustomerId(ctx.ds.manager, user.id)) ?? c.id;
}
