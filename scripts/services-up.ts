/**
 * The benchmarks bring up what they need, as `npm start` (scripts/start.sh)
 * and `npm test` (test/global-setup.ts) do: `scripts/services.sh up` reuses
 * DATABASE_URL / REDIS_URL when they answer and otherwise starts the
 * project's own PostgreSQL and Redis, then prints the URLs to use. Its
 * progress goes to our stderr, so a `--json` run keeps stdout to one line.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

export interface ServiceUrls {
  databaseUrl: string;
  redisUrl: string;
}

/** scripts/services.sh, whether this file runs with tsx (scripts/) or compiled (dist/scripts/). */
function servicesScript(): string {
  const candidates = [path.join(__dirname, "services.sh"), path.resolve(__dirname, "../../scripts/services.sh")];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`scripts/services.sh not found (looked at ${candidates.join(", ")})`);
  return found;
}

/** Parses the `KEY=value` lines services.sh prints on stdout. */
export function parseServicesOutput(out: string): Partial<ServiceUrls> {
  const env = new Map<string, string>();
  for (const line of out.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return { databaseUrl: env.get("DATABASE_URL"), redisUrl: env.get("REDIS_URL") };
}

/**
 * Runs `services.sh up` (idempotent; never stops anything) and exports the
 * URLs it printed as DATABASE_URL / REDIS_URL, so loadConfig() and child
 * processes started afterwards use them.
 */
export function servicesUp(): ServiceUrls {
  const out = execFileSync("bash", [servicesScript(), "up"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const { databaseUrl, redisUrl } = parseServicesOutput(out);
  if (!databaseUrl || !redisUrl) throw new Error(`services.sh up printed no DATABASE_URL/REDIS_URL:\n${out}`);
  process.env.DATABASE_URL = databaseUrl;
  process.env.REDIS_URL = redisUrl;
  return { databaseUrl, redisUrl };
}
