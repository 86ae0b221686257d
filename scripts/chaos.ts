/**
 * `npm run chaos [-- --duration 120 --users 16 --jobs 1200 …]`: the chaos run
 * of scripts/chaos/run.ts. Prints one summary line on stdout (progress on
 * stderr) and exits 1 when any check fails, listing each failure.
 *
 * Needs what the outage tests need: redis-server and PostgreSQL's server
 * binaries, and root (PostgreSQL runs as the `postgres` user).
 */
import { parseArgs } from "node:util";
import { type ChaosOptions, defaultOptions, runChaos, summaryLine } from "./chaos/run";

const USAGE = `usage: npm run chaos -- [--duration S] [--users N] [--jobs N] [--workers N] [--kill-every S]
                      [--redis-kills N] [--pg-restarts N] [--down S] [--settle-timeout S] [--slow-share 0..1] [--keep]`;

function options(argv: string[]): Partial<ChaosOptions> {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string" }, users: { type: "string" }, jobs: { type: "string" }, workers: { type: "string" },
      "kill-every": { type: "string" }, "redis-kills": { type: "string" }, "pg-restarts": { type: "string" }, down: { type: "string" },
      "settle-timeout": { type: "string" }, "slow-share": { type: "string" }, keep: { type: "boolean" }, help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, v: string | undefined, min: number, max: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}, got "${v}"`);
    return n;
  };
  const o: Partial<ChaosOptions> = {
    durationS: num("duration", values.duration, 5, 86_400),
    users: num("users", values.users, 1, 1000),
    jobs: num("jobs", values.jobs, 1, 1_000_000),
    workers: num("workers", values.workers, 1, 16),
    killEveryS: num("kill-every", values["kill-every"], 0.5, 3600),
    redisKills: num("redis-kills", values["redis-kills"], 0, 100),
    pgRestarts: num("pg-restarts", values["pg-restarts"], 0, 100),
    downS: num("down", values.down, 0, 600),
    settleTimeoutS: num("settle-timeout", values["settle-timeout"], 1, 86_400),
    slowShare: num("slow-share", values["slow-share"], 0, 1),
    keep: values.keep,
  };
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

async function main(): Promise<number> {
  let opts: Partial<ChaosOptions>;
  try {
    opts = options(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  const s = await runChaos({ ...defaultOptions, ...opts });
  console.log(summaryLine(s));
  if (!s.ok) {
    for (const p of s.problems) console.error(`FAILED: ${p}`);
    console.error(`process logs: ${s.dir}`);
  }
  return s.ok ? 0 : 1;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(`chaos could not run: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(2);
});
