/**
 * The user dashboard in a real browser (Chromium) against the real platform:
 * API + job worker in-process with the built-in kinds, the dashboard's static
 * build, its own database and queue prefix.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations, fitsWidth, WIDER_THAN_VIEWPORT, launchBrowser, openSession, screenshot, signIn } from "../helpers/browser";
import { createSignInToken } from "../../src/dashboard/sessions";
import { waitFor } from "../helpers/platform";
import { type KindsPlatform, startKindsPlatform } from "../kinds/setup";

let p: KindsPlatform;
let browser: Browser;
beforeAll(async () => {
  [p, browser] = await Promise.all([startKindsPlatform(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await p?.close();
});

describe("user dashboard", () => {
  it("signs in with an API key; the balance shown equals the API's; sign out ends the session", async () => {
    const u = await p.user({ credits: 1234 });
    const s = await openSession(browser, p.url);
    await s.page.goto("/");
    await s.page.getByRole("button", { name: "Sign in" }).waitFor();
    await screenshot(s.page, "sign-in");
    await signIn(s.page, u.key);
    const api = await p.api(u.key, "GET", "/api/v1/credits/balance");
    await s.page.getByTestId("balance-available").filter({ hasText: "1,234" }).waitFor();
    expect(await s.page.getByTestId("balance-available").textContent()).toBe(api.body.available.toLocaleString("en-US"));
    await s.page.getByText(/1,234 admin credits never expire/).waitFor();
    // No key in web storage; the cookie is HTTP-only.
    expect(await s.page.evaluate<string>("JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })")).not.toContain(u.key);
    const cookies = await s.context.cookies();
    expect(cookies.find((c) => c.name === "holdfast_session")).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(await s.page.evaluate<string>("document.cookie")).toBe("");
    await screenshot(s.page, "overview");
    expect(await fitsWidth(s.page)).toBe(true);

    await s.page.getByRole("button", { name: "Sign out" }).click();
    await s.page.getByLabel("API key").waitFor();
    await s.page.reload();
    await s.page.getByLabel("API key").waitFor();
    expect(s.errors).toEqual([]);
    await s.close();
  });

  it("a one-click sign-in link (as npm start prints) signs in once; used again it shows why and offers the key form", async () => {
    const u = await p.user({ credits: 7 });
    const { token } = await createSignInToken(p.ctx, u.key);
    const s = await openSession(browser, p.url);
    await s.page.goto(`/#sign-in=${token}`);
    await s.page.getByTestId("balance-available").filter({ hasText: /^7$/ }).waitFor();
    expect(new URL(s.page.url()).hash).toBe(""); // the token leaves the address bar
    const again = await openSession(browser, p.url);
    await again.page.goto(`/#sign-in=${token}`);
    await again.page.getByText(/sign-in link is invalid, expired or already used/).waitFor();
    await again.page.getByLabel("API key").waitFor();
    expect(s.errors).toEqual([]);
    await s.close();
    await again.close();
  });

  it("submits a job from the New job form (live estimate) and watches it reach succeeded with the charge shown", async () => {
    const u = await p.user({ credits: 100 });
    const s = await openSession(browser, p.url);
    await signIn(s.page, u.key, "/jobs");
    await s.page.getByLabel("Kind", { exact: true }).selectOption("script");
    await s.page.getByLabel("Script").selectOption("wordcount");
    await s.page.getByLabel("Parameters (JSON)").fill('{ "text": "one two three" }');
    await s.page.getByTestId("estimate").filter({ hasText: "5" }).waitFor();
    await screenshot(s.page, "jobs");
    await s.page.getByRole("button", { name: "Submit job" }).click();
    await s.page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    const jobId = s.page.url().split("/").pop()!;
    await s.page.getByTestId("job-status").filter({ hasText: "succeeded" }).waitFor();
    const job = (await p.api(u.key, "GET", `/api/v1/jobs/${jobId}`)).body;
    expect(job.status).toBe("succeeded");
    await s.page.getByTestId("job-charged").filter({ hasText: String(job.credits.charged) }).waitFor();
    expect(job.credits.charged).toBe(5);
    expect(await s.page.getByTestId("job-result").textContent()).toContain('"words": 3');
    await screenshot(s.page, "job");

    // The list shows it too.
    await s.page.getByRole("link", { name: "Back to jobs" }).click();
    const row = s.page.locator(`[data-testid="job-row"][data-job-id="${jobId}"]`);
    await row.getByTestId("job-status").filter({ hasText: "succeeded" }).waitFor();
    expect(s.errors).toEqual([]);
    await s.close();
  });

  it("uploads a file with a progress bar, runs a file job on it and downloads the output", async () => {
    const u = await p.user({ credits: 50 });
    const s = await openSession(browser, p.url);
    await signIn(s.page, u.key, "/jobs");
    await s.page.getByLabel("Kind", { exact: true }).selectOption("file");
    await s.page.getByLabel("File", { exact: true }).setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("one\ntwo\nthree\n") });
    await s.page.getByText("notes.txt uploaded").waitFor();
    expect(await s.page.getByLabel("Upload progress").getAttribute("value")).toBe("100");
    await s.page.getByLabel("Operation").selectOption("gzip");
    await s.page.getByTestId("estimate").filter({ hasText: "3" }).waitFor(); // 1 started MB + gzip fee 2
    await s.page.getByRole("button", { name: "Submit job" }).click();
    await s.page.getByTestId("job-status").filter({ hasText: "succeeded" }).waitFor();
    const [download] = await Promise.all([s.page.waitForEvent("download"), s.page.getByRole("button", { name: /^Download notes\.txt\.gz/ }).click()]);
    expect(download.suggestedFilename()).toBe("notes.txt.gz");
    const { gunzipSync } = await import("node:zlib");
    const { readFile } = await import("node:fs/promises");
    expect(gunzipSync(await readFile((await download.path())!)).toString()).toBe("one\ntwo\nthree\n");
    expect(s.errors).toEqual([]);
    await s.close();
  });

  it("cancels a long job from the list, follows it live, and shows the refund; the balance is whole again", async () => {
    const u = await p.user({ credits: 50 });
    const s = await openSession(browser, p.url);
    await signIn(s.page, u.key, "/jobs");
    const submitted = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "script", input: { script: "sleep", parameters: { seconds: 30 } } });
    expect(submitted.status).toBe(202);
    await waitFor(async () => (await p.api(u.key, "GET", `/api/v1/jobs/${submitted.body.id}`)).body.status === "running", { what: "job running" });
    await s.page.getByRole("button", { name: "Refresh" }).click();
    const row = s.page.locator(`[data-testid="job-row"][data-job-id="${submitted.body.id}"]`);
    await row.getByTestId("job-status").filter({ hasText: "running" }).waitFor();
    await row.getByRole("button", { name: /^Cancel job/ }).click();
    await row.getByTestId("job-status").filter({ hasText: "canceled" }).waitFor();
    await row.getByTestId("job-refunded").filter({ hasText: String(submitted.body.credits.estimated) }).waitFor();
    const job = (await p.api(u.key, "GET", `/api/v1/jobs/${submitted.body.id}`)).body;
    expect(job.credits).toMatchObject({ charged: 0, refunded: submitted.body.credits.estimated, held: 0 });
    await s.page.getByRole("link", { name: "Overview" }).click();
    await s.page.getByTestId("balance-available").filter({ hasText: /^50$/ }).waitFor();
    expect(s.errors).toEqual([]);
    await s.close();
  });

  it("lists a batch, opens it and cancels it after a confirm step: the page shows it canceled; the API has every job canceled and every hold released", async () => {
    const u = await p.user({ credits: 100 });
    const sleep = { kind: "script", input: { script: "sleep", parameters: { seconds: 60 } } };
    const submitted = await p.api(u.key, "POST", "/api/v1/batches", { jobs: [sleep, sleep, sleep] });
    expect(submitted.status).toBe(202);
    const batchId: string = submitted.body.id;
    const estimated: number = submitted.body.credits.estimated;
    expect(estimated).toBeGreaterThan(0);
    expect(await p.balance(u.id)).toMatchObject({ available: 100 - estimated, held: estimated });

    const s = await openSession(browser, p.url);
    await signIn(s.page, u.key, "/");
    await s.page.getByRole("link", { name: "Batches", exact: true }).click();
    const row = s.page.locator(`[data-testid="batch-row"][data-batch-id="${batchId}"]`);
    await row.getByTestId("batch-status").filter({ hasText: "active" }).waitFor();
    await row.getByTestId("batch-held").filter({ hasText: new RegExp(`^${estimated}$`) }).waitFor();
    await screenshot(s.page, "batches");
    // Filtered to finished batches, the active one is not listed.
    await s.page.getByLabel("Filter by status").selectOption("finished");
    await s.page.getByText("No batches finished.").waitFor();
    expect(await row.count()).toBe(0);
    await s.page.getByLabel("Filter by status").selectOption("");

    await row.getByRole("link", { name: `Batch ${batchId.slice(0, 8)}` }).click();
    await s.page.waitForURL(`**/batches/${batchId}`);
    for (const j of submitted.body.jobs as { id: string }[]) await s.page.locator(`[data-testid="job-row"][data-job-id="${j.id}"]`).getByRole("link", { name: j.id.slice(0, 8) }).waitFor();
    expect(await s.page.getByTestId("job-row").count()).toBe(3);
    // The confirm step: asking is not cancelling.
    await s.page.getByRole("button", { name: "Cancel batch" }).click();
    await s.page.getByRole("button", { name: "Keep it" }).click();
    await s.page.getByRole("button", { name: "Cancel batch" }).click();
    const yes = s.page.getByRole("button", { name: "Yes, cancel batch" });
    await yes.waitFor();
    expect((await p.api(u.key, "GET", `/api/v1/batches/${batchId}`)).body.counts.canceled).toBe(0);
    await yes.click();

    await s.page.getByTestId("batch-status").filter({ hasText: "finished" }).waitFor();
    await s.page.getByTestId("batch-counts").filter({ hasText: /^3 canceled$/ }).waitFor();
    expect(await s.page.getByTestId("job-status").allTextContents()).toEqual(["canceled", "canceled", "canceled"]);
    await s.page.getByTestId("batch-held").filter({ hasText: /^0$/ }).waitFor();
    await s.page.getByTestId("batch-refunded").filter({ hasText: new RegExp(`^${estimated}$`) }).waitFor();
    expect(await s.page.getByRole("button", { name: "Cancel batch" }).count()).toBe(0);
    await screenshot(s.page, "batch");

    const after = (await p.api(u.key, "GET", `/api/v1/batches/${batchId}`)).body;
    expect(after.status).toBe("finished");
    expect(after.jobs.map((j: { status: string }) => j.status)).toEqual(["canceled", "canceled", "canceled"]);
    expect(after.credits).toMatchObject({ held: 0, charged: 0, refunded: estimated });
    expect(await p.balance(u.id)).toMatchObject({ available: 100, held: 0 });

    // The list shows it finished too.
    await s.page.getByRole("link", { name: "Back to batches" }).click();
    await s.page.getByLabel("Filter by status").selectOption("finished");
    await row.getByTestId("batch-counts").filter({ hasText: /^3 canceled$/ }).waitFor();
    expect(s.errors).toEqual([]);
    await s.close();
  });

  it("the usage chart's total and the table by kind match the API", async () => {
    const u = await p.user({ credits: 100 });
    for (const text of ["a b", "c d e"]) {
      const j = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "script", input: { script: "wordcount", parameters: { text } } });
      await p.final(u.key, j.body.id);
    }
    const s = await openSession(browser, p.url);
    await signIn(s.page, u.key, "/usage");
    const summary = (await p.api(u.key, "GET", "/api/v1/credits/summary")).body;
    const charges = (await p.api(u.key, "GET", "/api/v1/credits/transactions?type=charge")).body.data as { amount: number }[];
    const charged = charges.reduce((n, t) => n + t.amount, 0);
    expect(charged).toBe(10);
    await s.page.getByTestId("usage-total").filter({ hasText: String(charged) }).waitFor();
    await s.page.getByTestId("month-spent-total").filter({ hasText: String(summary.spent) }).waitFor();
    expect(await s.page.getByTestId("kind-row").allTextContents()).toEqual(summary.spend_by_kind.map((k: { kind: string; jobs: number; credits: number; usd: string }) => `${k.kind}${k.jobs}${k.credits}$${k.usd}`));
    // The chart draws one stacked series per kind (recharts renders SVG rectangles).
    await s.page.locator(".recharts-bar-rectangle").first().waitFor();
    await screenshot(s.page, "usage");
    await s.page.goto("/transactions");
    await s.page.getByTestId("transaction-row").first().waitFor();
    await screenshot(s.page, "transactions");
    expect(s.errors).toEqual([]);
    await s.close();
  });

  it("a user cannot open /admin (403 page) or read another user's job", async () => {
    const u = await p.user({ credits: 10 });
    const other = await p.user({ credits: 10 });
    const theirs = await p.api(other.key, "POST", "/api/v1/jobs", { kind: "script", input: { script: "wordcount", parameters: { text: "secret" } } });
    const s = await openSession(browser, p.url);
    await signIn(s.page, u.key, "/admin");
    await s.page.getByRole("heading", { name: /403/ }).waitFor();
    // The API refuses too, whatever the page shows.
    const status = await s.page.evaluate<number>(`fetch("/api/v1/admin/users", { headers: { "X-Holdfast-CSRF": "1" } }).then((r) => r.status)`);
    expect(status).toBe(403);
    await s.page.goto(`/jobs/${theirs.body.id}`);
    await s.page.getByText("Job not found.").waitFor();
    expect(await s.page.getByText("secret").count()).toBe(0);
    expect(s.errors).toEqual([]);
    await s.close();
  });

  it("Buy credits without Stripe configured: the live price works, checkout and subscribing show a clear notice", async () => {
    const u = await p.user({ credits: 10 });
    const s = await openSession(browser, p.url);
    await signIn(s.page, u.key, "/buy");
    await s.page.getByTestId("quote-total").filter({ hasText: "$50.00" }).waitFor();
    await s.page.getByRole("button", { name: "Buy with Stripe" }).click();
    await s.page.getByText("Stripe is not configured").waitFor();
    expect(new URL(s.page.url()).pathname).toBe("/buy");
    // Subscribing says the same, next to the plans.
    const plans = s.page.getByRole("region", { name: "Subscriptions" });
    await plans.getByRole("button", { name: "Subscribe to Professional" }).focus();
    await s.page.keyboard.press("Enter");
    await plans.getByText("Stripe is not configured").waitFor();
    expect(new URL(s.page.url()).pathname).toBe("/buy");
    expect(await p.ctx.ds.query(`SELECT id FROM checkouts WHERE user_id = $1`, [u.id])).toEqual([]);
    expect(s.errors.filter((e) => !/status of 503/.test(e))).toEqual([]);
    await s.close();
  });

  it("edits spend limits and the low-credit threshold on the Overview: saved values persist, one above the admin's ceiling is refused with the reason shown; the portal button says Stripe is not configured", async () => {
    const u = await p.user({ credits: 10 });
    const admin = await p.user({ role: "admin" });
    expect((await p.api(admin.key, "PUT", `/api/v1/admin/users/${u.id}/limits`, { ceiling_daily: 100 })).status).toBe(200);
    const s = await openSession(browser, p.url);
    await signIn(s.page, u.key);
    const daily = s.page.getByLabel("Daily limit (credits)");
    await s.page.getByText("admin ceiling 100").waitFor();
    expect(await daily.inputValue()).toBe("100"); // the limit in force is the ceiling
    await daily.fill("50");
    await s.page.getByLabel("Monthly limit (credits)").fill("400");
    await s.page.getByLabel("Low-credit alert threshold (credits)").fill("15");
    await s.page.getByLabel("Low-credit alert threshold (credits)").press("Enter"); // the keyboard submits the form
    await s.page.getByText("Limits saved.").waitFor();
    const saved = { daily: 50, monthly: 400, ceiling_daily: 100, low_credit_threshold: 15 };
    expect((await p.api(u.key, "GET", "/api/v1/credits/limits")).body).toMatchObject(saved);

    await s.page.reload();
    await s.page.getByText("admin ceiling 100").waitFor();
    expect(await s.page.getByLabel("Daily limit (credits)").inputValue()).toBe("50");
    expect(await s.page.getByLabel("Monthly limit (credits)").inputValue()).toBe("400");
    expect(await s.page.getByLabel("Low-credit alert threshold (credits)").inputValue()).toBe("15");
    await screenshot(s.page, "overview"); // with limits set (replaces the first test's)

    await s.page.getByLabel("Daily limit (credits)").fill("150");
    await s.page.getByRole("button", { name: "Save limits" }).click();
    await s.page.getByRole("alert").filter({ hasText: "daily must be at most 100, the ceiling your administrator set" }).waitFor();
    expect((await p.api(u.key, "GET", "/api/v1/credits/limits")).body).toMatchObject(saved); // nothing changed

    // Clearing a limit (empty = none) sends null for that field only.
    await s.page.getByLabel("Daily limit (credits)").fill("60");
    await s.page.getByLabel("Monthly limit (credits)").fill("");
    await s.page.getByRole("button", { name: "Save limits" }).click();
    await s.page.getByText("Limits saved.").waitFor();
    expect((await p.api(u.key, "GET", "/api/v1/credits/limits")).body).toMatchObject({ daily: 60, monthly: null, ceiling_daily: 100, low_credit_threshold: 15 });

    await s.page.getByRole("button", { name: "Manage billing in the Stripe customer portal" }).click();
    await s.page.getByText("Stripe is not configured").waitFor();
    expect(new URL(s.page.url()).pathname).toBe("/");
    // Accessibility of the main user pages (axe-core, WCAG 2.1 A/AA), with their notices showing.
    expect(await axeViolations(s.page)).toEqual([]);
    for (const [link, ready] of [["Usage", "usage-total"], ["Jobs", "estimate"], ["Transactions", null], ["Buy credits", "quote-total"], ["Disputes", null]] as const) {
      await s.page.getByRole("link", { name: link, exact: true }).click();
      await s.page.getByRole("heading", { level: 1, name: link === "Jobs" ? "Jobs" : undefined }).first().waitFor();
      if (ready) await s.page.getByTestId(ready).first().waitFor();
      expect(await axeViolations(s.page), link).toEqual([]);
    }
    expect(s.errors.filter((e) => !/status of 503/.test(e))).toEqual([]);
    await s.close();
  });

  it("a debt from a refunded purchase shows on the Overview with the way to repay it", async () => {
    const u = await p.user({ credits: 9 });
    await p.ctx.ds.query(`INSERT INTO credit_debts (user_id, credit_type, reason, amount) VALUES ($1, 'standard', 'refund', 4)`, [u.id]);
    try {
      const s = await openSession(browser, p.url);
      await signIn(s.page, u.key, "/");
      const notice = s.page.getByTestId("balance-debt");
      await notice.filter({ hasText: "You owe 4 credits" }).waitFor();
      await notice.getByRole("link", { name: "Buy credits" }).waitFor();
      // What the notice says is what the API does.
      const refused = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "script", input: { script: "wordcount", parameters: { text: "a" } } });
      expect(refused.status).toBe(402);
      expect(refused.body.error.details).toMatchObject({ reason: "debt", debt: 4 });
      expect(s.errors).toEqual([]);
      await s.close();
    } finally {
      await p.ctx.ds.query(`DELETE FROM credit_debts WHERE user_id = $1`, [u.id]);
    }
  });

  it("is usable at 390 px wide", async () => {
    const u = await p.user({ credits: 10 });
    const s = await openSession(browser, p.url, { width: 390, height: 844 });
    await signIn(s.page, u.key);
    await s.page.getByTestId("balance-available").filter({ hasText: "10" }).waitFor();
    expect(await fitsWidth(s.page)).toBe(true);
    await s.page.getByRole("link", { name: "Jobs" }).click();
    await s.page.getByRole("button", { name: "Submit job" }).waitFor();
    expect(await fitsWidth(s.page), await s.page.evaluate<string>(WIDER_THAN_VIEWPORT)).toBe(true);
    await screenshot(s.page, "jobs-mobile");
    for (const [link, ready] of [["Buy credits", "Subscribe to Starter"], ["Overview", "Save limits"]] as const) {
      await s.page.getByRole("link", { name: link }).click();
      await s.page.getByRole("button", { name: ready }).waitFor();
      expect(await fitsWidth(s.page), `${link}: ${await s.page.evaluate<string>(WIDER_THAN_VIEWPORT)}`).toBe(true);
    }
    // Keyboard: from a fresh load, Tab reaches the brand, then the navigation; Enter follows the link.
    await s.page.goto("/jobs");
    await s.page.getByRole("button", { name: "Submit job" }).waitFor();
    await s.page.keyboard.press("Tab");
    await s.page.keyboard.press("Tab");
    expect(await s.page.evaluate<string>("document.activeElement?.textContent")).toBe("Overview");
    await s.page.keyboard.press("Enter");
    await s.page.getByTestId("balance-available").waitFor();
    expect(new URL(s.page.url()).pathname).toBe("/");
    expect(s.errors).toEqual([]);
    await s.close();
  });
});
