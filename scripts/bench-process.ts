/**
 * A production process (API or worker role) for `npm run bench`, with two
 * extra kinds, `bench-noop`: 1 credit, no work, and `bench-sleep`: 1 credit,
 * waits `ms` without using CPU (the fairness benchmark's slow jobs). The benchmark starts each role
 * as its own process so their memory can be measured apart.
 *
 *   node dist/scripts/bench-process.js api|worker
 */
import { z } from "zod";
import { builtinKinds } from "../src/jobs/builtin";
import type { JobKind } from "../src/jobs/kind";
import type { RoleStarter } from "../src/processes/run";
import { runProcess } from "../src/processes/run";

export const benchNoopKind: JobKind<Record<string, never>, { ok: true }> = {
  name: "bench-noop",
  description: "Does nothing; costs 1 credit. For the benchmark only.",
  input: z.object({}).strict(),
  estimate: () => ({ credits: 1, breakdown: [{ item: "noop", credits: 1 }] }),
  run: async () => ({ result: { ok: true }, usage: 1 }),
  timeoutMs: () => 5_000,
  onUserFailure: "none",
};

export const benchSleepKind: JobKind<{ ms: number }, { ok: true }> = {
  name: "bench-sleep",
  description: "Waits `ms` milliseconds; costs 1 credit. For the benchmark only.",
  input: z.object({ ms: z.number().int().min(0).max(60_000) }).strict(),
  estimate: () => ({ credits: 1, breakdown: [{ item: "sleep", credits: 1 }] }),
  run: (i, rc) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => resolve({ result: { ok: true }, usage: 1 }), i.ms);
      rc.signal.addEventListener("abort", () => {
        clearTimeout(t);
        reject(rc.signal.reason);
      }, { once: true });
    }),
  timeoutMs: (i) => i.ms + 5_000,
  onUserFailure: "none",
};

const role = process.argv[2];
if (role !== "api" && role !== "worker") {
  console.error("usage: node dist/scripts/bench-process.js api|worker");
  process.exit(2);
}
// Loaded on demand: a worker process should not carry the API's modules (its memory is measured).
const starter: RoleStarter =
  role === "api"
    ? (require("../src/processes/roles/api-role") as typeof import("../src/processes/roles/api-role")).apiRole
    : (require("../src/processes/roles/worker-role") as typeof import("../src/processes/roles/worker-role")).workerRole;
runProcess(`bench-${role}`, [starter], {
  kinds: (config) => builtinKinds(config).register(benchNoopKind).register(benchSleepKind),
});
