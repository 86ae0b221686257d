/**
 * A real browser for the dashboard tests: Debian's Chromium driven by
 * playwright-core (executablePath from the global setup). One browser per
 * test file; each test opens its own context (cookies are per context).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { inject, onTestFailed } from "vitest";

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors so far (HTTP 4xx answers the page handles are not errors). */
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: inject("chromiumPath"),
    // Root in a container: no user namespaces for Chromium's sandbox; /dev/shm is small.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

export async function openSession(browser: Browser, baseURL: string, opts: { width?: number; height?: number } = {}): Promise<Session> {
  const context = await browser.newContext({ baseURL, viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    // Chromium logs every non-2xx fetch; 4xx API answers (401 before sign-in, 403 paused, 404 missing) are shown by the page itself.
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
    errors.push(`console: ${m.text()}`);
  });
  // When a test fails, say what the page showed and what the API answered: a
  // timeout alone ("waiting for … to be visible") does not tell why.
  const api: string[] = [];
  page.on("response", (r) => {
    if (r.url().includes("/api/")) api.push(`${r.request().method()} ${new URL(r.url()).pathname} → ${r.status()}`);
  });
  page.on("requestfailed", (r) => api.push(`${r.method()} ${r.url()} failed: ${r.failure()?.errorText ?? "?"}`));
  onTestFailed(async () => {
    const text = await page.locator("body").innerText({ timeout: 2000 }).catch((e: Error) => `(page unreadable: ${e.message})`);
    console.error(`[browser] ${page.url()}\n[browser] page text: ${text.slice(0, 2000)}\n[browser] API calls:\n  ${api.join("\n  ")}\n[browser] errors: ${errors.join("; ")}`);
  });
  return { context, page, errors, close: () => context.close() };
}

/** Sign in through the form: the "API key" input and the "Sign in" button. */
export async function signIn(page: Page, key: string, path = "/"): Promise<void> {
  await page.goto(path);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** `npm run screenshots` sets SCREENSHOTS=1: the tests then save each main page under docs/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS !== "1") return;
  const dir = path.resolve(__dirname, "../../docs/screenshots");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** The page is usable at this width: nothing wider than the viewport (tables scroll inside their own box). */
export async function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth");
}

/** (Evaluated in the page, as text: the test project has no DOM types.) What sticks out past the viewport, for a failure message. */
export const WIDER_THAN_VIEWPORT = `[...document.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > window.innerWidth).map((e) => e.tagName + "." + e.className).slice(0, 8).join(" ")`;

/**
 * Accessibility problems axe-core finds on the page as it is now (labels, names,
 * roles, landmarks, contrast), as "rule: target" strings. axe's source is
 * evaluated over the DevTools protocol, which the page's strict CSP does not
 * govern, so nothing about the page changes for the test.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const { source } = (await import("axe-core")) as unknown as { source: string };
  if (!(await page.evaluate<boolean>("typeof window.axe !== 'undefined'"))) await page.evaluate(source);
  return page.evaluate<string[]>(
    `window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
       .then((r) => r.violations.flatMap((v) => v.nodes.map((n) => v.id + ": " + n.target.join(" "))))`,
  );
}
