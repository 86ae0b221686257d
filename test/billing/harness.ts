/**
 * A billing test bed: the real platform (API, job worker) plus the
 * stripe-events and mail workers, a fake Stripe on loopback, a real SMTP
 * server on loopback, and a manual clock.
 */
import { startStripeEventWorker, type StripeEventWorker } from "../../src/workers/stripe-event-worker";
import { ManualClock } from "../../src/clock";
import * as ledger from "../../src/ledger";
import { type MailWorker, startMailWorker } from "../../src/workers/mail-worker";
import { FakeStripe } from "../helpers/fake-stripe";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { SmtpSink } from "../helpers/smtp-sink";
import type Stripe from "stripe";
import { expect } from "vitest";

export interface BillingBed {
  p: Platform;
  stripe: FakeStripe;
  smtp: SmtpSink;
  clock: ManualClock;
  events: StripeEventWorker;
  mail: MailWorker;
  /** Deliver signed events to the webhook, in order, and wait until each is processed. */
  send(...events: Stripe.Event[]): Promise<void>;
  balance(userId: string): Promise<ledger.Balances>;
  /** Rows of a query against the platform's database. */
  q<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function startBillingBed(opts: { stripe?: boolean; env?: Record<string, string>; clock?: Date } = {}): Promise<BillingBed> {
  const stripe = await FakeStripe.start();
  const smtp = await SmtpSink.start();
  const clock = new ManualClock(opts.clock ?? new Date());
  const p = await startPlatform({
    kinds: testKinds(),
    clock,
    env: { ...(opts.stripe === false ? {} : stripe.env()), SMTP_URL: smtp.url, MAIL_FROM: "Holdfast <billing@holdfast.test>", ...opts.env },
  });
  const events = startStripeEventWorker(p.ctx);
  const mail = startMailWorker(p.ctx);
  const q = <T>(sql: string, params: unknown[] = []) => p.ctx.ds.query(sql, params) as Promise<T[]>;
  return {
    p, stripe, smtp, clock, events, mail, q,
    async send(...evs) {
      for (const e of evs) {
        const r = await stripe.deliver(p.url, e);
        if (r.status !== 200) throw new Error(`webhook answered ${r.status}: ${JSON.stringify(r.body)}`);
        await waitFor(async () => {
          const rows = await q<{ processed_at: Date | null; last_error: string | null }>(`SELECT processed_at, last_error FROM stripe_events WHERE id = $1`, [e.id]);
          return rows[0]?.processed_at ? true : null;
        }, { what: `event ${e.type} ${e.id} processed` });
      }
    },
    balance: (userId) => ledger.balances(p.ctx.ds.manager, userId),
    async close() {
      await events.close(5000);
      await mail.close(5000);
      await p.ctx.queues.stripeEvents.obliterate({ force: true }).catch(() => undefined);
      await p.ctx.queues.mail.obliterate({ force: true }).catch(() => undefined);
      await p.close();
      await stripe.close();
      await smtp.close();
    },
  };
}

/** The user's email address. */
export async function emailOf(bed: BillingBed, userId: string): Promise<string> {
  const rows = await bed.q<{ email: string }>(`SELECT email FROM users WHERE id = $1`, [userId]);
  return rows[0]!.email;
}

/** Wait until `n` emails of `kind` reached the SMTP sink for this address. */
export async function waitForMail(bed: BillingBed, to: string, kind: string, n = 1) {
  return waitFor(async () => (bed.smtp.to(to, kind).length >= n ? bed.smtp.to(to, kind) : null), { what: `${n} ${kind} email(s) to ${to}` });
}

export interface Subscribed {
  user: { id: string; key: string };
  /** Stripe's subscription id. */
  subId: string;
  /** Our subscriptions row. */
  localId: string;
}

/** A new user subscribed to `plan` through Checkout, all events delivered. */
export async function subscribed(bed: BillingBed, plan: string): Promise<Subscribed> {
  const user = await bed.p.user();
  const r = await bed.p.api(user.key, "POST", "/api/v1/subscriptions", { package_id: plan });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body).toMatchObject({ action: "checkout", checkout: { mode: "subscription", status: "open" } });
  await bed.send(...bed.stripe.completeCheckout(r.body.session_id));
  const subId = bed.stripe.sessions.get(r.body.session_id)!.subscription as string;
  const local = await bed.q<{ id: string }>(`SELECT id FROM subscriptions WHERE stripe_subscription_id = $1`, [subId]);
  return { user, subId, localId: local[0]!.id };
}

/** Spend credits through the consume API (201 expected). */
export async function spendCredits(bed: BillingBed, key: string, credits: number): Promise<void> {
  const r = await bed.p.api(key, "POST", "/api/v1/credits/consume", { credits, description: "work" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

/** The user's balance as the API shows it. */
export const balanceOf = async (bed: BillingBed, key: string) => (await bed.p.api(key, "GET", "/api/v1/credits/balance")).body as {
  posted: number; available: number; held: number; status: string; debt: number; frozen: number;
};

/** The user's transactions, oldest first, as [type, amount]. */
export const historyOf = async (bed: BillingBed, key: string) =>
  ((await bed.p.api(key, "GET", "/api/v1/credits/transactions?limit=100")).body.data as { type: string; amount: number }[])
    .reverse().map((t) => [t.type, t.amount]);

/** The per-user API calls the clawback tests make, bound to a bed that beforeAll creates later. */
export function billingCalls(bed: () => BillingBed) {
  return {
    spend: (key: string, credits: number) => spendCredits(bed(), key, credits),
    balance: (key: string) => balanceOf(bed(), key),
    history: (key: string) => historyOf(bed(), key),
    submit: (key: string) => bed().p.api(key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 1 } }),
    outcomeOf: async (eventId: string) =>
      (await bed().q<{ outcome: string }>(`SELECT outcome FROM stripe_events WHERE id = $1`, [eventId]))[0]!.outcome,
  };
}

/** Both clocks — the platform's and the fake Stripe's — back to the real time, after a test moved them. */
export function resetClocks(bed: BillingBed): void {
  bed.clock.set(new Date());
  bed.stripe.now = Math.floor(Date.now() / 1000);
}

/** After each test: clocks back to now, and the books must balance. */
export async function resetClocksAndCheckBooks(bed: BillingBed): Promise<void> {
  resetClocks(bed);
  const report = await bed.p.ctx.ds.transaction("REPEATABLE READ", (m) => ledger.checkLedger(m));
  expect(report.problems).toEqual([]);
}
