import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Refunds and chargebacks of subscription invoices take their credits back
 * too (src/billing/clawbacks.ts). The reversal records are generalised from
 * "a credit purchase" to "what a payment paid for": a purchase checkout OR a
 * Stripe subscription invoice (the subscription_grants it paid for, a period
 * or an upgrade).
 *
 * - `purchase_reversals`: keyed by checkout_id OR stripe_invoice_id (exactly
 *   one); a surrogate id becomes the primary key, checkout_id stays unique.
 *   `paid_cents` is the invoice's amount paid (a checkout has its own
 *   total_cents), the denominator of "the grant's own price".
 * - `stripe_chargebacks` and `credit_debts` name the invoice the same way.
 */
export class SubscriptionReversals1765000001300 implements MigrationInterface {
  name = "SubscriptionReversals1765000001300";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
ALTER TABLE purchase_reversals DROP CONSTRAINT purchase_reversals_pkey;
ALTER TABLE purchase_reversals ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE purchase_reversals ADD CONSTRAINT purchase_reversals_pkey PRIMARY KEY (id);
ALTER TABLE purchase_reversals ALTER COLUMN checkout_id DROP NOT NULL;
ALTER TABLE purchase_reversals ADD CONSTRAINT purchase_reversals_checkout_key UNIQUE (checkout_id);
ALTER TABLE purchase_reversals ADD COLUMN stripe_invoice_id text;
ALTER TABLE purchase_reversals ADD CONSTRAINT purchase_reversals_invoice_key UNIQUE (stripe_invoice_id);
ALTER TABLE purchase_reversals ADD COLUMN paid_cents bigint CHECK (paid_cents >= 0);
ALTER TABLE purchase_reversals ADD CONSTRAINT purchase_reversals_one_item CHECK (num_nonnulls(checkout_id, stripe_invoice_id) = 1);

ALTER TABLE stripe_chargebacks ALTER COLUMN checkout_id DROP NOT NULL;
ALTER TABLE stripe_chargebacks ADD COLUMN stripe_invoice_id text;
ALTER TABLE stripe_chargebacks ADD CONSTRAINT stripe_chargebacks_one_item CHECK (num_nonnulls(checkout_id, stripe_invoice_id) = 1);
CREATE INDEX stripe_chargebacks_invoice_idx ON stripe_chargebacks (stripe_invoice_id) WHERE stripe_invoice_id IS NOT NULL;

ALTER TABLE credit_debts ADD COLUMN stripe_invoice_id text;
`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Subscription reversals cannot be kept in the narrower tables: a rollback drops them (and their debts' link).
    await q.query(`
ALTER TABLE credit_debts DROP COLUMN stripe_invoice_id;
DELETE FROM stripe_chargebacks WHERE checkout_id IS NULL;
DROP INDEX stripe_chargebacks_invoice_idx;
ALTER TABLE stripe_chargebacks DROP CONSTRAINT stripe_chargebacks_one_item;
ALTER TABLE stripe_chargebacks DROP COLUMN stripe_invoice_id;
ALTER TABLE stripe_chargebacks ALTER COLUMN checkout_id SET NOT NULL;

DELETE FROM purchase_reversals WHERE checkout_id IS NULL;
ALTER TABLE purchase_reversals DROP CONSTRAINT purchase_reversals_one_item;
ALTER TABLE purchase_reversals DROP COLUMN paid_cents;
ALTER TABLE purchase_reversals DROP CONSTRAINT purchase_reversals_invoice_key;
ALTER TABLE purchase_reversals DROP COLUMN stripe_invoice_id;
ALTER TABLE purchase_reversals DROP CONSTRAINT purchase_reversals_checkout_key;
ALTER TABLE purchase_reversals ALTER COLUMN checkout_id SET NOT NULL;
ALTER TABLE purchase_reversals DROP CONSTRAINT purchase_reversals_pkey;
ALTER TABLE purchase_reversals DROP COLUMN id;
ALTER TABLE purchase_reversals ADD CONSTRAINT purchase_reversals_pkey PRIMARY KEY (checkout_id);
`);
  }
}
