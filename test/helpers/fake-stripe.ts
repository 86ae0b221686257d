/**
 * A fake Stripe API on loopback, for tests: the real `stripe` SDK talks to it
 * (STRIPE_API_BASE), so the SDK's own request building, form encoding,
 * idempotency headers and error mapping all run. It implements only what
 * Holdfast calls, with the object shapes of the SDK's API version (billing
 * periods on subscription items, invoice.parent.subscription_details, line
 * pricing.price_details), and in-memory state a test drives: complete a
 * checkout, renew a subscription (paid or not), cancel it. Each driver
 * returns the events Stripe would send; `deliver` signs one with the SDK's
 * own test-header helper and POSTs it to the webhook.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Stripe objects are loose JSON here

export const FAKE_WEBHOOK_SECRET = "whsec_holdfast_test_secret";
export const FAKE_SECRET_KEY = "sk_test_holdfast_fake";
export const PERIOD_S = 30 * 86400;

/** Parse Stripe's form encoding (a[b][0][c]=v) into nested objects and arrays. */
export function parseForm(body: string): Obj {
  const root: Obj = {};
  for (const pair of body.split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const key = decodeURIComponent(pair.slice(0, eq < 0 ? undefined : eq).replace(/\+/g, " "));
    const value = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, " "));
    const path = key.replace(/\]/g, "").split("[");
    let node = root;
    path.forEach((seg, i) => {
      if (i === path.length - 1) node[seg] = value;
      else node = node[seg] ??= {};
    });
  }
  const arrays = (v: unknown): unknown => {
    if (!v || typeof v !== "object") return v;
    const o = v as Obj;
    const keys = Object.keys(o);
    const mapped = Object.fromEntries(keys.map((k) => [k, arrays(o[k])]));
    return keys.length > 0 && keys.every((k) => /^\d+$/.test(k)) ? keys.sort((a, b) => +a - +b).map((k) => mapped[k]) : mapped;
  };
  return arrays(root) as Obj;
}

export interface FakeRequest {
  method: string;
  path: string;
  body: Obj;
  idempotencyKey: string | undefined;
}

export class FakeStripe {
  readonly customers = new Map<string, Obj>();
  readonly prices = new Map<string, Obj>();
  readonly sessions = new Map<string, Obj>();
  readonly subscriptions = new Map<string, Obj>();
  readonly invoices = new Map<string, Obj>();
  readonly paymentIntents = new Map<string, Obj>();
  readonly charges = new Map<string, Obj>();
  readonly disputes = new Map<string, Obj>();
  /** How paid invoices were paid (API 2025-03-31+: the invoice ↔ PaymentIntent link). */
  readonly invoicePayments = new Map<string, Obj>();
  readonly portalSessions = new Map<string, Obj>();
  readonly requests: FakeRequest[] = [];
  /** Unix seconds; tests may move it. */
  now = Math.floor(Date.now() / 1000);
  /** The next POST whose path matches answers with this error (once). */
  private failures: { path: RegExp; status: number; error: Obj }[] = [];
  private idempotent = new Map<string, { status: number; body: Obj }>();
  private seq = 0;
  private server!: Server;
  url = "";

  static async start(): Promise<FakeStripe> {
    const f = new FakeStripe();
    f.server = createServer((req, res) => void f.handle(req, res));
    await new Promise<void>((r) => f.server.listen(0, "127.0.0.1", () => r()));
    f.url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    return f;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Environment for the platform under test. */
  env(): Record<string, string> {
    return { STRIPE_SECRET_KEY: FAKE_SECRET_KEY, STRIPE_WEBHOOK_SECRET: FAKE_WEBHOOK_SECRET, STRIPE_API_BASE: this.url };
  }

  /**
   * The next request (any method) whose path matches waits until the returned
   * function is called: a slow Stripe, for as long as the test wants.
   */
  stallNext(path: RegExp): () => void {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    this.stalls.push({ path, gate });
    return release;
  }

  /** Requests waiting at a stall right now. */
  stalled = 0;
  private stalls: { path: RegExp; gate: Promise<void> }[] = [];

  failNext(path: RegExp, status = 500, error: Obj = { type: "api_error", message: "Stripe is having a bad day" }): void {
    this.failures.push({ path, status, error });
  }

  id(prefix: string): string {
    return `${prefix}_${randomBytes(8).toString("hex")}${++this.seq}`;
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const u = new URL(req.url ?? "/", "http://x");
    const stall = this.stalls.findIndex((st) => st.path.test(u.pathname));
    if (stall >= 0) {
      const { gate } = this.stalls.splice(stall, 1)[0]!;
      this.stalled++;
      await gate;
      this.stalled--;
    }
    const body = req.method === "GET" ? parseForm(u.search.slice(1)) : parseForm(Buffer.concat(chunks).toString("utf8"));
    const key = req.headers["idempotency-key"] as string | undefined;
    this.requests.push({ method: req.method ?? "GET", path: u.pathname, body, idempotencyKey: key });
    const send = (status: number, obj: Obj) => {
      res.writeHead(status, { "content-type": "application/json", "request-id": this.id("req") });
      res.end(JSON.stringify(obj));
    };
    if (req.headers.authorization !== `Bearer ${FAKE_SECRET_KEY}`) {
      send(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } });
      return;
    }
    if (req.method === "POST") {
      const i = this.failures.findIndex((f) => f.path.test(u.pathname));
      if (i >= 0) {
        const f = this.failures.splice(i, 1)[0]!;
        send(f.status, { error: f.error });
        return;
      }
      const cacheKey = key ? `${u.pathname}|${key}` : null;
      const cached = cacheKey ? this.idempotent.get(cacheKey) : undefined;
      if (cached) {
        res.setHeader("idempotent-replayed", "true");
        send(cached.status, cached.body);
        return;
      }
      const [status, out] = this.route(req.method, u.pathname, body);
      if (cacheKey && status < 500) this.idempotent.set(cacheKey, { status, body: out });
      send(status, out);
      return;
    }
    const [status, out] = this.route(req.method ?? "GET", u.pathname, body);
    send(status, out);
  }

  private missing(what: string, id: string): [number, Obj] {
    return [404, { error: { type: "invalid_request_error", code: "resource_missing", message: `No such ${what}: '${id}'`, param: "id" } }];
  }

  private route(method: string, path: string, body: Obj): [number, Obj] {
    let m: RegExpMatchArray | null;
    if (method === "POST" && path === "/v1/customers") return [200, this.createCustomer(body)];
    if (method === "POST" && path === "/v1/prices") return [200, this.createPrice(body)];
    if (method === "GET" && (m = path.match(/^\/v1\/prices\/([^/]+)$/))) {
      const p = this.prices.get(m[1]!);
      return p ? [200, p] : this.missing("price", m[1]!);
    }
    if (method === "POST" && path === "/v1/checkout/sessions") return this.createSession(body);
    if (method === "GET" && (m = path.match(/^\/v1\/checkout\/sessions\/([^/]+)$/))) {
      const s = this.sessions.get(m[1]!);
      return s ? [200, s] : this.missing("checkout.session", m[1]!);
    }
    if (method === "GET" && (m = path.match(/^\/v1\/subscriptions\/([^/]+)$/))) {
      const s = this.subscriptions.get(m[1]!);
      return s ? [200, s] : this.missing("subscription", m[1]!);
    }
    if (method === "POST" && (m = path.match(/^\/v1\/subscriptions\/([^/]+)$/))) return this.updateSubscription(m[1]!, body);
    for (const [re, map, what] of [
      [/^\/v1\/payment_intents\/([^/]+)$/, this.paymentIntents, "payment_intent"],
      [/^\/v1\/charges\/([^/]+)$/, this.charges, "charge"],
      [/^\/v1\/disputes\/([^/]+)$/, this.disputes, "dispute"],
    ] as const) {
      if (method === "GET" && (m = path.match(re))) {
        const o = map.get(m[1]!);
        return o ? [200, o] : this.missing(what, m[1]!);
      }
    }
    if (method === "GET" && (m = path.match(/^\/v1\/invoices\/([^/]+)$/))) {
      const i = this.invoices.get(m[1]!);
      return i ? [200, i] : this.missing("invoice", m[1]!);
    }
    if (method === "GET" && path === "/v1/invoice_payments") return [200, this.listInvoicePayments(body)];
    if (method === "POST" && path === "/v1/billing_portal/sessions") return this.createPortalSession(body);
    return [404, { error: { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path}).` } }];
  }

  // ---------------------------------------------------------------- objects

  private createCustomer(b: Obj): Obj {
    const c = { id: this.id("cus"), object: "customer", email: b.email ?? null, name: b.name ?? null, metadata: b.metadata ?? {}, created: this.now, livemode: false };
    this.customers.set(c.id, c);
    return c;
  }

  /** A customer portal session (Stripe: short-lived, single-use URL). */
  private createPortalSession(b: Obj): [number, Obj] {
    if (!b.customer) return [400, { error: { type: "invalid_request_error", message: "Missing required param: customer.", param: "customer" } }];
    if (!this.customers.has(b.customer)) return this.missing("customer", b.customer);
    const id = this.id("bps");
    const s = {
      id, object: "billing_portal.session", customer: b.customer, return_url: b.return_url ?? null, configuration: "bpc_default",
      flow: null, locale: null, on_behalf_of: null, url: `https://billing.stripe.test/p/session/${id}`, created: this.now, livemode: false,
    };
    this.portalSessions.set(id, s);
    return [200, s];
  }

  private createPrice(b: Obj): Obj {
    const p = {
      id: this.id("price"), object: "price", active: true, currency: b.currency, unit_amount: Number(b.unit_amount), type: b.recurring ? "recurring" : "one_time",
      recurring: b.recurring ? { interval: b.recurring.interval, interval_count: 1, usage_type: "licensed" } : null,
      product: this.id("prod"), metadata: b.metadata ?? {}, lookup_key: null, livemode: false, created: this.now,
    };
    this.prices.set(p.id, p);
    return p;
  }

  private createSession(b: Obj): [number, Obj] {
    if (!b.success_url) return [400, { error: { type: "invalid_request_error", message: "Missing required param: success_url.", param: "success_url" } }];
    const item = b.line_items?.[0] ?? {};
    const amount = item.price_data ? Number(item.price_data.unit_amount) * Number(item.quantity ?? 1) : (this.prices.get(item.price)?.unit_amount ?? 0);
    const id = this.id("cs_test");
    const s = {
      id, object: "checkout.session", mode: b.mode, status: "open", payment_status: "unpaid", amount_total: amount, amount_subtotal: amount,
      currency: item.price_data?.currency ?? "usd", customer: b.customer ?? null, client_reference_id: b.client_reference_id ?? null,
      metadata: b.metadata ?? {}, subscription: null, payment_intent: null, success_url: b.success_url, cancel_url: b.cancel_url ?? null,
      url: `https://checkout.stripe.test/c/pay/${id}`, expires_at: this.now + 86400, created: this.now, livemode: false,
      // Kept for the drivers (Stripe does not echo these).
      _line: item, _subscription_data: b.subscription_data ?? {}, _pi_metadata: b.payment_intent_data?.metadata ?? {},
    };
    this.sessions.set(id, s);
    return [200, this.publicSession(s)];
  }

  private publicSession(s: Obj): Obj {
    const { _line: _l, _subscription_data: _d, _pi_metadata: _p, ...rest } = s;
    return rest;
  }

  /** Per subscription: prorations of plan changes waiting for its next invoice. */
  private readonly pendingProrations = new Map<string, { amount: number; start: number; end: number; price: string }[]>();

  /** One line of an invoice (a plan's period, or a proration of a plan change). */
  private line(sub: Obj, l: { amount: number; start: number; end: number; price: string; proration: boolean }): Obj {
    return {
      id: this.id("il"), object: "line_item", amount: l.amount, currency: "usd", period: { start: l.start, end: l.end },
      parent: { type: "subscription_item_details", subscription_item_details: { subscription: sub.id, subscription_item: sub.items.data[0].id, proration: l.proration } },
      pricing: { type: "price_details", price_details: { price: l.price, product: this.prices.get(l.price)?.product ?? "prod_x" }, unit_amount_decimal: String(l.amount) },
    };
  }

  private newInvoice(sub: Obj, reason: string, opts: { paid: boolean; amount: number; start: number; end: number; price: string; proration?: boolean }): Obj {
    // Prorations a plan change left for the next invoice (changePlanInPortal's invoice: "next") are billed on it, as Stripe does.
    const pending = this.pendingProrations.get(sub.id) ?? [];
    this.pendingProrations.delete(sub.id);
    const amount = opts.amount + pending.reduce((s, p) => s + p.amount, 0);
    const inv = {
      id: this.id("in"), object: "invoice", status: opts.paid ? "paid" : "open", billing_reason: reason, customer: sub.customer, currency: "usd",
      amount_due: amount, amount_paid: opts.paid ? amount : 0, amount_remaining: opts.paid ? 0 : amount, attempt_count: 1,
      next_payment_attempt: opts.paid ? null : this.now + 3 * 86400, created: this.now, period_start: opts.start, period_end: opts.end,
      parent: { type: "subscription_details", quote_details: null, subscription_details: { subscription: sub.id, metadata: sub.metadata } },
      lines: {
        object: "list", has_more: false, url: "/v1/invoices/lines",
        data: [
          ...pending.map((p) => this.line(sub, { ...p, proration: true })),
          this.line(sub, { amount: opts.amount, start: opts.start, end: opts.end, price: opts.price, proration: opts.proration ?? false }),
        ],
      },
      livemode: false,
    };
    this.invoices.set(inv.id, inv);
    sub.latest_invoice = inv.id;
    if (opts.paid) this.chargeInvoice(inv);
    return inv;
  }

  /** A paid invoice's charge: a PaymentIntent, its charge and the InvoicePayment linking them (nothing for $0). */
  private chargeInvoice(inv: Obj): void {
    if (inv.amount_paid <= 0) return;
    const pi = this.id("pi");
    const charge = {
      id: this.id("ch"), object: "charge", amount: inv.amount_paid, amount_captured: inv.amount_paid, amount_refunded: 0, refunded: false,
      disputed: false, currency: inv.currency, customer: inv.customer, payment_intent: pi, metadata: {}, paid: true, status: "succeeded",
      description: "Subscription payment", created: this.now, livemode: false,
    };
    this.charges.set(charge.id, charge);
    this.paymentIntents.set(pi, {
      id: pi, object: "payment_intent", amount: inv.amount_paid, currency: inv.currency, customer: inv.customer, status: "succeeded",
      latest_charge: charge.id, metadata: {}, created: this.now, livemode: false,
    });
    const ip = {
      id: this.id("inpay"), object: "invoice_payment", amount_paid: inv.amount_paid, amount_requested: inv.amount_due, currency: inv.currency,
      invoice: inv.id, is_default: true, livemode: false, payment: { type: "payment_intent", payment_intent: pi }, status: "paid",
      status_transitions: { canceled_at: null, paid_at: this.now }, created: this.now,
    };
    this.invoicePayments.set(ip.id, ip);
  }

  private listInvoicePayments(q: Obj): Obj {
    const data = [...this.invoicePayments.values()].filter((p) =>
      (!q.invoice || p.invoice === q.invoice) && (!q.payment?.payment_intent || p.payment.payment_intent === q.payment.payment_intent));
    return { object: "list", data, has_more: false, url: "/v1/invoice_payments" };
  }

  private updateSubscription(id: string, b: Obj): [number, Obj] {
    const sub = this.subscriptions.get(id);
    if (!sub) return this.missing("subscription", id);
    if (b.cancel_at_period_end !== undefined) {
      sub.cancel_at_period_end = b.cancel_at_period_end === "true";
      sub.cancel_at = sub.cancel_at_period_end ? sub.items.data[0].current_period_end : null;
    }
    if (b.metadata) sub.metadata = { ...sub.metadata, ...b.metadata };
    const change = b.items?.[0];
    if (change?.price) {
      const item = sub.items.data[0];
      const from = item.price as Obj;
      const to = this.prices.get(change.price);
      if (!to) return this.missing("price", change.price);
      if (b.proration_behavior === "always_invoice") {
        const left = item.current_period_end - this.now;
        const amount = Math.max(0, Math.floor(((to.unit_amount - from.unit_amount) * left) / (item.current_period_end - item.current_period_start)));
        if (this.declineNext) {
          this.declineNext = false;
          return [402, { error: { type: "card_error", code: "card_declined", decline_code: "generic_decline", message: "Your card was declined." } }];
        }
        this.newInvoice(sub, "subscription_update", { paid: true, amount, start: this.now, end: item.current_period_end, price: to.id, proration: true });
      }
      item.price = to;
      item.plan = { id: to.id, amount: to.unit_amount };
    }
    return [200, sub];
  }

  /** The next upgrade's proration payment is declined. */
  declineNext = false;

  // ---------------------------------------------------------------- drivers

  /** A webhook event for an object as it is now (a snapshot, like Stripe's). */
  event(type: string, object: Obj): Stripe.Event {
    const data = type.startsWith("checkout.session") ? this.publicSession(object) : object;
    return {
      id: this.id("evt"), object: "event", api_version: "2026-10-28.endive", created: this.now, livemode: false, pending_webhooks: 1,
      request: { id: null, idempotency_key: null }, type, data: { object: structuredClone(data) },
    } as unknown as Stripe.Event;
  }

  /**
   * The buyer pays. Payment mode: the session becomes complete and paid.
   * Subscription mode: also a subscription with its first paid invoice.
   * Returns the events in the order Stripe typically sends them.
   */
  completeCheckout(sessionId: string, opts: { paid?: boolean } = {}): Stripe.Event[] {
    const s = this.sessions.get(sessionId);
    if (!s) throw new Error(`no session ${sessionId}`);
    s.status = "complete";
    s.payment_status = opts.paid === false ? "unpaid" : "paid";
    if (s.mode === "payment") {
      s.payment_intent = this.id("pi");
      const charge = {
        id: this.id("ch"), object: "charge", amount: s.amount_total, amount_captured: s.amount_total, amount_refunded: 0, refunded: false,
        disputed: false, currency: s.currency, customer: s.customer, payment_intent: s.payment_intent, metadata: {}, paid: true, status: "succeeded",
        created: this.now, livemode: false,
      };
      this.charges.set(charge.id, charge);
      this.paymentIntents.set(s.payment_intent, {
        id: s.payment_intent, object: "payment_intent", amount: s.amount_total, currency: s.currency, customer: s.customer, status: "succeeded",
        latest_charge: charge.id, metadata: s._pi_metadata, created: this.now, livemode: false,
      });
      return [this.event("checkout.session.completed", s)];
    }
    const price = this.prices.get(s._line.price)!;
    const sub = this.createSubscription(s.customer, price, s._subscription_data.metadata ?? {});
    s.subscription = sub.id;
    const inv = this.invoices.get(sub.latest_invoice)!;
    return [this.event("customer.subscription.created", sub), this.event("invoice.paid", inv), this.event("checkout.session.completed", s)];
  }

  createSubscription(customer: string, price: Obj, metadata: Obj, opts: { start?: number } = {}): Obj {
    const start = opts.start ?? this.now;
    const sub: Obj = {
      id: this.id("sub"), object: "subscription", status: "active", customer, metadata, cancel_at_period_end: false, cancel_at: null,
      canceled_at: null, ended_at: null, start_date: start, billing_cycle_anchor: start, collection_method: "charge_automatically",
      created: start, currency: "usd", latest_invoice: null, livemode: false,
      items: {
        object: "list", has_more: false, url: "/v1/subscription_items",
        data: [{ id: this.id("si"), object: "subscription_item", price, plan: { id: price.id, amount: price.unit_amount }, quantity: 1, current_period_start: start, current_period_end: start + PERIOD_S }],
      },
    };
    this.subscriptions.set(sub.id, sub);
    this.newInvoice(sub, "subscription_create", { paid: true, amount: price.unit_amount, start, end: start + PERIOD_S, price: price.id });
    return sub;
  }

  /** The period rolls over: a renewal invoice, paid or failed (then the subscription is past_due). */
  renew(subId: string, opts: { paid?: boolean } = {}): { updated: Stripe.Event; invoice: Stripe.Event; sub: Obj; invoiceObj: Obj } {
    const sub = this.subscriptions.get(subId)!;
    const item = sub.items.data[0];
    const start = item.current_period_end;
    item.current_period_start = start;
    item.current_period_end = start + PERIOD_S;
    if (this.now < start) this.now = start;
    const paid = opts.paid !== false;
    const inv = this.newInvoice(sub, "subscription_cycle", { paid, amount: item.price.unit_amount, start, end: start + PERIOD_S, price: item.price.id });
    sub.status = paid ? "active" : "past_due";
    return {
      updated: this.event("customer.subscription.updated", sub),
      invoice: this.event(paid ? "invoice.paid" : "invoice.payment_failed", inv),
      sub,
      invoiceObj: inv,
    };
  }

  /** The failed renewal invoice is paid after all. */
  payInvoice(invoiceId: string): Stripe.Event {
    const inv = this.invoices.get(invoiceId)!;
    inv.status = "paid";
    inv.amount_paid = inv.amount_due;
    inv.amount_remaining = 0;
    this.chargeInvoice(inv);
    const sub = this.subscriptions.get(inv.parent.subscription_details.subscription)!;
    sub.status = "active";
    return this.event("invoice.paid", inv);
  }

  /**
   * A plan change made in Stripe's own customer portal (no call from Holdfast):
   * the item moves to `priceId` now and, for a dearer plan, a
   * `subscription_update` invoice carries the prorated difference — paid at
   * once, or left open (a card that fails; pay it later with payInvoice).
   */
  changePlanInPortal(subId: string, priceId: string, opts: { invoice?: "paid" | "open" | "next" } = {}): { updated: Stripe.Event; invoice: Stripe.Event | null; invoiceObj: Obj | null } {
    const sub = this.subscriptions.get(subId)!;
    const item = sub.items.data[0];
    const from = item.price as Obj;
    const to = this.prices.get(priceId)!;
    let inv: Obj | null = null;
    if (to.unit_amount > from.unit_amount && opts.invoice === "next") {
      // proration_behavior create_prorations: the difference is billed on the next invoice (the renewal's).
      const left = item.current_period_end - this.now;
      const amount = Math.floor(((to.unit_amount - from.unit_amount) * left) / (item.current_period_end - item.current_period_start));
      this.pendingProrations.set(sub.id, [...(this.pendingProrations.get(sub.id) ?? []), { amount, start: this.now, end: item.current_period_end, price: to.id }]);
    } else if (to.unit_amount > from.unit_amount) {
      const left = item.current_period_end - this.now;
      const amount = Math.floor(((to.unit_amount - from.unit_amount) * left) / (item.current_period_end - item.current_period_start));
      inv = this.newInvoice(sub, "subscription_update", { paid: opts.invoice !== "open", amount, start: this.now, end: item.current_period_end, price: to.id, proration: true });
    }
    item.price = to;
    item.plan = { id: to.id, amount: to.unit_amount };
    return {
      updated: this.event("customer.subscription.updated", sub),
      invoice: inv ? this.event(inv.status === "paid" ? "invoice.paid" : "invoice.payment_failed", inv) : null,
      invoiceObj: inv,
    };
  }

  /** The subscription ends now (after cancel_at_period_end, or at once). */
  endSubscription(subId: string): Stripe.Event {
    const sub = this.subscriptions.get(subId)!;
    sub.status = "canceled";
    sub.canceled_at ??= this.now;
    sub.ended_at = this.now;
    return this.event("customer.subscription.deleted", sub);
  }

  /** The charge that paid a completed payment-mode session. */
  chargeOf(sessionId: string): Obj {
    const pi = this.sessions.get(sessionId)?.payment_intent;
    const charge = pi ? this.charges.get(this.paymentIntents.get(pi)?.latest_charge) : undefined;
    if (!charge) throw new Error(`session ${sessionId} has no charge`);
    return charge;
  }

  /** The charge that paid an invoice. */
  chargeOfInvoice(invoiceId: string): Obj {
    const ip = [...this.invoicePayments.values()].find((p) => p.invoice === invoiceId && p.status === "paid");
    const charge = ip ? this.charges.get(this.paymentIntents.get(ip.payment.payment_intent)?.latest_charge) : undefined;
    if (!charge) throw new Error(`invoice ${invoiceId} has no charge`);
    return charge;
  }

  /** Refund `cents` more of a purchase's charge (cumulative amount_refunded, like Stripe): the charge.refunded event. */
  refund(sessionId: string, cents: number): Stripe.Event {
    return this.refundCharge(this.chargeOf(sessionId), cents);
  }

  /** Refund `cents` more of an invoice's charge: the charge.refunded event. */
  refundInvoice(invoiceId: string, cents: number): Stripe.Event {
    return this.refundCharge(this.chargeOfInvoice(invoiceId), cents);
  }

  private refundCharge(charge: Obj, cents: number): Stripe.Event {
    charge.amount_refunded = Math.min(charge.amount, charge.amount_refunded + cents);
    charge.refunded = charge.amount_refunded >= charge.amount;
    return this.event("charge.refunded", charge);
  }

  /** The buyer's bank opens a chargeback (default: the whole charge): the charge.dispute.created event. */
  openDispute(sessionId: string, cents?: number): { dispute: Obj; event: Stripe.Event } {
    return this.disputeCharge(this.chargeOf(sessionId), cents);
  }

  /** A chargeback of an invoice's charge (default: all of it). */
  openInvoiceDispute(invoiceId: string, cents?: number): { dispute: Obj; event: Stripe.Event } {
    return this.disputeCharge(this.chargeOfInvoice(invoiceId), cents);
  }

  private disputeCharge(charge: Obj, cents?: number): { dispute: Obj; event: Stripe.Event } {
    charge.disputed = true;
    const dispute = {
      id: this.id("dp"), object: "dispute", amount: cents ?? charge.amount, currency: charge.currency, charge: charge.id,
      payment_intent: charge.payment_intent, reason: "fraudulent", status: "needs_response", created: this.now, livemode: false,
    };
    this.disputes.set(dispute.id, dispute);
    return { dispute, event: this.event("charge.dispute.created", dispute) };
  }

  /** The chargeback ends: the charge.dispute.closed event. */
  closeDispute(disputeId: string, status: "won" | "lost" | "warning_closed"): Stripe.Event {
    const dispute = this.disputes.get(disputeId)!;
    dispute.status = status;
    return this.event("charge.dispute.closed", dispute);
  }

  /** Sign an event (or any body) with the SDK's helper and POST it to the platform's webhook. */
  async deliver(
    platformUrl: string, event: Stripe.Event | string, opts: { secret?: string; timestamp?: number; signature?: string } = {},
  ): Promise<{ status: number; body: Obj }> {
    const payload = typeof event === "string" ? event : JSON.stringify(event, null, 2);
    const signature = opts.signature ?? Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? FAKE_WEBHOOK_SECRET, timestamp: opts.timestamp });
    const res = await fetch(`${platformUrl}/api/v1/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": signature },
      body: payload,
    });
    const text = await res.text();
    let body: Obj;
    try {
      body = JSON.parse(text) as Obj;
    } catch {
      body = { text };
    }
    return { status: res.status, body };
  }

  /** Requests the SDK made to a path (optionally a method). */
  calls(path: RegExp, method?: string): FakeRequest[] {
    return this.requests.filter((r) => path.test(r.path) && (!method || r.method === method));
  }
}
