/**
 * Once per test run (global setup): the dashboard's static build must be
 * current for the browser tests, and a Chromium must be installed
 * (scripts/ensure-browser.sh). Both are cheap when already done.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Rebuild dist/web when any file under web/ is newer than its index.html. */
export function ensureDashboardBuilt(root: string): void {
  const index = path.join(root, "dist/web/index.html");
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(path.join(root, "web"))) return;
  execFileSync(path.join(root, "node_modules/.bin/vite"), ["build", "--config", "web/vite.config.mts", "--logLevel", "warn"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    // vitest sets NODE_ENV=test, which would make Vite bundle React's development build; test what `npm run build` ships.
    env: { ...process.env, NODE_ENV: "production" },
  });
}

/** The Chromium executable for playwright-core (installed with apt-get when missing and possible). */
export function ensureBrowser(root: string): string {
  const out = execFileSync("bash", [path.join(root, "scripts/ensure-browser.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const m = /^CHROMIUM_PATH=(.+)$/m.exec(out);
  if (!m) throw new Error(`scripts/ensure-browser.sh printed no CHROMIUM_PATH:\n${out}`);
  return m[1]!.trim();
}
