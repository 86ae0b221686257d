/**
 * A short chaos run inside `npm test` (the full one is `npm run chaos`):
 * API, two workers and the scheduler as separate processes on a private
 * PostgreSQL and Redis; keyed, retrying submissions from several users while
 * workers are SIGKILLed every few seconds, Redis is SIGKILLed and restarted
 * empty, and PostgreSQL is stopped `-m immediate` and restarted. Every check
 * of scripts/chaos/run.ts must pass: all accepted jobs final, balances exact,
 * nothing held, the ledger check clean, no 500.
 */
import { expect, it } from "vitest";
import { runChaos, summaryLine } from "../../scripts/chaos/run";

it("keeps every job final and the money exact through worker, Redis and PostgreSQL crashes, with no 500", async () => {
  const s = await runChaos({
    durationS: 30, users: 4, jobs: 100, workers: 2, killEveryS: 3, redisKills: 1, pgRestarts: 1, downS: 2,
    settleTimeoutS: 60, slowShare: 0.3, slowMs: [500, 1500], concurrency: 16,
    log: (m) => process.env.TEST_LOG_LEVEL === "debug" && process.stderr.write(`[chaos] ${m}\n`),
  });
  console.log(summaryLine(s));
  expect(s.problems, `${summaryLine(s)}\nprocess logs: ${s.dir}`).toEqual([]);
  expect(s.ok).toBe(true);
  // The faults happened and the client saw them.
  expect({ redis: s.redisKills, pg: s.pgRestarts, workersKilled: s.workerKills > 0 }).toEqual({ redis: 1, pg: 1, workersKilled: true });
  expect(s.http503, "a client saw PostgreSQL down (503)").toBeGreaterThan(0);
  expect(s.accepted).toBeGreaterThanOrEqual(100);
  expect(s.final).toBe(s.accepted);
  expect(s.http500).toBe(0);
}, 240_000);
