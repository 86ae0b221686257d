/**
 * The admin dashboard and buying credits in a real browser (Chromium)
 * against the real platform: API, job worker and Stripe event worker
 * in-process, a fake Stripe on loopback whose signed webhook grants credits.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStripeEventWorker, type StripeEventWorker } from "../../src/workers/stripe-event-worker";
import { axeViolations, fitsWidth, launchBrowser, openSession, screenshot, signIn, WIDER_THAN_VIEWPORT } from "../helpers/browser";
import { FakeStripe } from "../helpers/fake-stripe";
import { waitFor } from "../helpers/platform";
import { type Json, type KindsPlatform, startKindsPlatform } from "../kinds/setup";

let p: KindsPlatform;
let stripe: FakeStripe;
let events: StripeEventWorker;
let browser: Browser;
let admin: { id: string; key: string };
beforeAll(async () => {
  stripe = await FakeStripe.start();
  [p, browser] = await Promise.all([startKindsPlatform({ env: stripe.env() }), launchBrowser()]);
  events = startStripeEventWorker(p.ctx);
  admin = await p.user({ role: "admin" });
});
afterAll(async () => {
  await browser?.close();
  await events?.close(5000);
  await p?.ctx.queues.stripeEvents.obliterate({ force: true }).catch(() => undefined);
  await p?.close();
  await stripe?.close();
});

const emailOf = async (id: string) => ((await p.ctx.ds.query(`SELECT email FROM users WHERE id = $1`, [id])) as { email: string }[])[0]!.email;

describe("buying credits", () => {
  it("shows the live price, goes to Stripe Checkout, and the balance rises after the signed webhook", async () => {
    const u = await p.user({ credits: 10 });
    const s = await openSession(browser, p.url);
    // Stripe's hosted page is not reachable here: answer it with a stand-in page.
    await s.context.route("https://checkout.stripe.test/**", (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>Stripe Checkout (fake)</title>" }));
    await signIn(s.page, u.key, "/buy");
    await s.page.getByLabel("Credits", { exact: true }).fill("1000");
    const quote = (await p.api(u.key, "POST", "/api/v1/credits/purchase/validate", { credits: 1000 })).body;
    await s.page.getByTestId("quote-total").filter({ hasText: `$${quote.total}` }).waitFor();
    expect(quote.total).toBe("95.00"); // bulk discount shown live
    await screenshot(s.page, "buy");
    await s.page.getByRole("button", { name: "Buy with Stripe" }).click();
    await s.page.waitForURL(/^https:\/\/checkout\.stripe\.test\//);

    const [checkout] = (await p.ctx.ds.query(`SELECT stripe_session_id FROM checkouts WHERE user_id = $1`, [u.id])) as { stripe_session_id: string }[];
    const [completed] = stripe.completeCheckout(checkout!.stripe_session_id);
    expect((await stripe.deliver(p.url, completed!)).status).toBe(200);
    await waitFor(async () => ((await p.ctx.ds.query(`SELECT processed_at FROM stripe_events WHERE id = $1`, [completed!.id])) as { processed_at: Date | null }[])[0]?.processed_at, { what: "webhook processed" });

    await s.page.goto("/buy?checkout=success");
    await s.page.getByText("Payment received").waitFor();
    await s.page.getByRole("link", { name: "Overview" }).click();
    await s.page.getByTestId("balance-available").filter({ hasText: /^1,010$/ }).waitFor();
    expect(s.errors).toEqual([]);
    await s.close();
  });
});

describe("subscriptions", () => {
  it("subscribes through Stripe Checkout, then upgrades, downgrades, keeps and cancels from the plan cards", async () => {
    const u = await p.user();
    const s = await openSession(browser, p.url);
    await s.context.route("https://checkout.stripe.test/**", (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>Stripe Checkout (fake)</title>" }));
    await signIn(s.page, u.key, "/buy");
    const live = async () => ((await p.api(u.key, "GET", "/api/v1/subscriptions")).body.data as Json[]).find((x) => x.status === "active");

    await s.page.getByRole("button", { name: "Subscribe to Starter" }).click();
    await s.page.waitForURL(/^https:\/\/checkout\.stripe\.test\//);
    const [checkout] = (await p.ctx.ds.query(`SELECT stripe_session_id, mode FROM checkouts WHERE user_id = $1`, [u.id])) as { stripe_session_id: string; mode: string }[];
    expect(checkout!.mode).toBe("subscription");
    for (const e of stripe.completeCheckout(checkout!.stripe_session_id)) expect((await stripe.deliver(p.url, e)).status).toBe(200);
    await waitFor(live, { what: "the subscription synced from the webhooks" });

    await s.page.goto("/buy?checkout=success");
    await s.page.getByTestId("current-plan").filter({ hasText: "Your plan: Starter" }).waitFor();
    await s.page.getByText("Your current plan").waitFor();
    const upgrades = stripe.calls(/^\/v1\/subscriptions\/sub_/, "POST").length;
    await s.page.getByRole("button", { name: "Upgrade to Professional" }).click();
    await s.page.getByText("Upgraded to Professional").waitFor();
    expect((await live()).package.code).toBe("professional");
    expect(stripe.calls(/^\/v1\/subscriptions\/sub_/, "POST").slice(upgrades).map((c) => c.body.proration_behavior)).toEqual(["always_invoice"]);
    await s.page.getByTestId("current-plan").filter({ hasText: "Your plan: Professional" }).waitFor();
    await screenshot(s.page, "buy-subscribed");
    expect(await axeViolations(s.page)).toEqual([]);

    await s.page.getByRole("button", { name: "Downgrade to Starter" }).click();
    await s.page.getByText(/Your plan changes to Starter on/).waitFor();
    expect((await live()).pending_package.code).toBe("starter");
    await s.page.getByRole("button", { name: "Keep Professional" }).click();
    await s.page.getByText(/scheduled change is called off/).waitFor();
    expect((await live()).pending_package).toBeNull();

    // The Stripe customer portal: a fresh session for this user's customer, and the browser goes there.
    await s.context.route("https://billing.stripe.test/**", (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>Stripe portal (fake)</title>" }));
    await s.page.getByRole("button", { name: "Manage billing" }).click();
    await s.page.waitForURL(/^https:\/\/billing\.stripe\.test\/p\/session\//);
    const [portal] = stripe.calls(/^\/v1\/billing_portal\/sessions$/, "POST");
    const [{ stripe_customer_id: customer }] = (await p.ctx.ds.query(`SELECT stripe_customer_id FROM subscriptions WHERE user_id = $1`, [u.id])) as { stripe_customer_id: string }[];
    expect(portal!.body.customer).toBe(customer);
    // The payment-failed email's link (/?portal=1) opens a fresh portal session on arrival.
    await s.page.goto("/?portal=1");
    await s.page.waitForURL(/^https:\/\/billing\.stripe\.test\/p\/session\//);
    expect(stripe.calls(/^\/v1\/billing_portal\/sessions$/, "POST")).toHaveLength(2);
    await s.page.goto("/buy");

    await s.page.getByRole("button", { name: "Cancel subscription" }).click();
    await s.page.getByRole("button", { name: "Yes, cancel at period end" }).click();
    await s.page.getByText(/^Canceled: Professional ends on/).waitFor();
    expect((await live()).cancel_at_period_end).toBe(true);
    expect(s.errors).toEqual([]);
    await s.close();
  });
});

describe("billing portal", () => {
  it("a user who never paid through Stripe is told there is no billing account yet", async () => {
    const u = await p.user({ credits: 5 });
    const s = await openSession(browser, p.url);
    await signIn(s.page, u.key);
    await s.page.getByRole("button", { name: "Manage billing in the Stripe customer portal" }).click();
    await s.page.getByText("You have no billing account with Stripe yet").waitFor();
    expect(new URL(s.page.url()).pathname).toBe("/");
    expect(s.errors).toEqual([]);
    await s.close();
  });
});

describe("admin", () => {
  it("finds a user, adds credits with a reason, pauses them; the user's next submit shows the paused message", async () => {
    const u = await p.user({ credits: 20 });
    const email = await emailOf(u.id);
    const a = await openSession(browser, p.url);
    await signIn(a.page, admin.key, "/admin");
    await a.page.getByLabel("Search").fill(email);
    const row = a.page.getByTestId("user-row");
    await row.filter({ hasText: email }).waitFor();
    // The search runs on the server after a short pause in typing: the list narrows to exactly that user.
    await waitFor(async () => (await row.count()) === 1 || undefined, { what: "the search to narrow the list to one user" });
    await a.page.getByLabel("Search").fill("");
    await screenshot(a.page, "admin-users");
    await row.filter({ hasText: email }).getByRole("link").click();
    await a.page.getByTestId("admin-balance-available").filter({ hasText: /^20$/ }).waitFor();

    await a.page.getByLabel("Reason (goes to the audit log)").fill("goodwill");
    await a.page.getByLabel("Credits", { exact: true }).fill("5");
    await a.page.getByRole("button", { name: "Add credits" }).click();
    await a.page.getByTestId("admin-balance-available").filter({ hasText: /^25$/ }).waitFor();
    expect((await p.api(u.key, "GET", "/api/v1/credits/balance")).body.available).toBe(25);

    // Limit ceilings: shown from GET /admin/users/:id/limits, saved with the reason; only the changed one is sent.
    await a.page.getByTestId("user-limits").filter({ hasText: "daily none" }).waitFor();
    await a.page.getByLabel("Reason (goes to the audit log)").fill("new account");
    await a.page.getByLabel("Daily ceiling (credits)").fill("30");
    await a.page.getByRole("button", { name: "Save ceilings" }).click();
    await a.page.getByText("Limit ceilings saved.").waitFor();
    await a.page.getByTestId("user-limits").filter({ hasText: "daily 30" }).waitFor();
    expect(await a.page.getByLabel("Daily ceiling (credits)").inputValue()).toBe("30");
    expect((await p.api(u.key, "GET", "/api/v1/credits/limits")).body).toMatchObject({ daily: 30, ceiling_daily: 30, ceiling_monthly: null });
    const audit = (await p.api(admin.key, "GET", `/api/v1/admin/audit?user_id=${u.id}`)).body.data as Json[];
    expect(audit.find((e) => e.action === "limits.change")).toMatchObject({ reason: "new account" });
    await a.page.getByLabel("Monthly ceiling (credits)").fill("500");
    await a.page.getByRole("button", { name: "Save ceilings" }).click();
    await a.page.getByTestId("user-limits").filter({ hasText: "monthly 500" }).waitFor();
    expect((await p.api(u.key, "GET", "/api/v1/credits/limits")).body).toMatchObject({ ceiling_daily: 30, ceiling_monthly: 500 });

    await a.page.getByLabel("Reason (goes to the audit log)").fill("suspicious activity");
    await a.page.getByRole("button", { name: "Pause" }).click();
    await a.page.getByTestId("user-status").filter({ hasText: "paused" }).waitFor();
    await screenshot(a.page, "admin-user");
    expect(await axeViolations(a.page)).toEqual([]);
    expect((await p.api(admin.key, "GET", `/api/v1/admin/users/${u.id}`)).body.status).toBe("paused");

    const s = await openSession(browser, p.url);
    await signIn(s.page, u.key, "/jobs");
    await s.page.getByTestId("estimate").waitFor();
    await s.page.getByRole("button", { name: "Submit job" }).click();
    await s.page.getByRole("alert").filter({ hasText: "Your credit service is paused" }).waitFor();
    expect((await p.api(u.key, "GET", "/api/v1/jobs")).body.data).toEqual([]);

    // Resume: the user can submit again.
    await a.page.getByRole("button", { name: "Resume" }).click();
    await a.page.getByTestId("user-status").filter({ hasText: "active" }).waitFor();
    expect(a.errors).toEqual([]);
    expect(s.errors).toEqual([]);
    await a.close();
    await s.close();
  });

  it("shows system totals with dollar values, the spend chart, and Bull Board behind the admin session", async () => {
    const u = await p.user({ credits: 20 });
    for (const text of ["a b c", "d e"]) await p.final(u.key, (await p.api(u.key, "POST", "/api/v1/jobs", { kind: "script", input: { script: "wordcount", parameters: { text } } })).body.id);
    const a = await openSession(browser, p.url);
    await signIn(a.page, admin.key, "/admin/system");
    const sys = (await p.api(admin.key, "GET", "/api/v1/admin/credits/system/summary")).body;
    await a.page.getByTestId("system-issued").filter({ hasText: sys.issued.toLocaleString("en-US") }).waitFor();
    await a.page.getByText(`$${sys.spent_usd}`).first().waitFor();
    // The spend chart: the same numbers as GET /admin/credits/system/spend, which adds up to the summary's spent.
    const spend = (await p.api(admin.key, "GET", "/api/v1/admin/credits/system/spend?days=30")).body;
    expect(spend.total).toBeGreaterThan(0);
    expect(spend.total).toBe(sys.spent);
    await a.page.getByTestId("system-spend-total").filter({ hasText: new RegExp(`^${spend.total.toLocaleString("en-US")}$`) }).waitFor();
    await a.page.locator(".recharts-bar-rectangle").first().waitFor();
    await a.page.getByText("The chart's numbers").focus(); // a <details>: the chart as a table, opened from the keyboard
    await a.page.keyboard.press("Enter");
    const days = spend.by_day.filter((d: { spent: number }) => d.spent > 0);
    expect(await a.page.getByTestId("spend-day").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-date")))).toEqual(days.map((d: { date: string }) => d.date));
    expect(await a.page.getByTestId("spend-day-credits").allTextContents()).toEqual(days.map((d: { spent: number }) => d.spent.toLocaleString("en-US")));
    await screenshot(a.page, "admin-system");
    expect(await axeViolations(a.page)).toEqual([]);
    await a.page.setViewportSize({ width: 390, height: 844 });
    await a.page.getByTestId("system-spend-total").waitFor();
    // The chart re-measures its container after a resize (ResizeObserver), so give it a moment.
    await expect.poll(() => fitsWidth(a.page), { timeout: 5000 }).toBe(true);
    expect(await fitsWidth(a.page), await a.page.evaluate<string>(WIDER_THAN_VIEWPORT)).toBe(true);
    await a.page.setViewportSize({ width: 1280, height: 900 });
    expect(a.errors).toEqual([]);
    await a.page.getByRole("link", { name: /Bull Board/ }).click();
    await a.page.waitForURL(/\/admin\/queues/);
    await a.page.getByText("Holdfast queues").first().waitFor();
    await a.close();
  });

  it("opens a dispute as a user and resolves it with a refund as an admin", async (t) => {
    const probe = await p.api(admin.key, "GET", "/api/v1/admin/disputes");
    if (probe.status === 404) return t.skip("the disputes API (POST /api/v1/disputes, /api/v1/admin/disputes…) is not on this branch yet");
    const u = await p.user({ credits: 20 });
    const job = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "script", input: { script: "wordcount", parameters: { text: "x" } } });
    const done = await p.final(u.key, job.body.id);
    const s = await openSession(browser, p.url);
    await signIn(s.page, u.key, `/disputes?job_id=${job.body.id}`);
    await s.page.getByLabel("What happened").fill("The count was wrong.");
    await s.page.getByLabel("Reason").selectOption("quality");
    await s.page.getByRole("button", { name: "Open dispute" }).click();
    await s.page.getByTestId("dispute-status").filter({ hasText: "open" }).waitFor();
    await screenshot(s.page, "disputes");

    const a = await openSession(browser, p.url);
    await signIn(a.page, admin.key, "/admin/disputes");
    await a.page.getByTestId("dispute-row").first().waitFor();
    await a.page.getByRole("button", { name: "Refund" }).first().click();
    await a.page.getByText("Refunded.").waitFor();
    await s.page.reload();
    await s.page.getByTestId("dispute-status").filter({ hasText: "resolved" }).waitFor();
    expect((await p.api(u.key, "GET", "/api/v1/credits/balance")).body.available).toBe(20);
    expect(done.credits.charged).toBeGreaterThan(0);
    await a.close();
    await s.close();
  });
});
