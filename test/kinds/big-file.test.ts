/**
 * 200 MB through the file kind with the worker's memory flat. The worker is
 * a real production worker process (src/processes/worker.ts), so its
 * resident memory (VmRSS from /proc, sampled every 20 ms) is honest: it is
 * not mixed with this test process, which plays API and client.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { RssSampler, type RoleProcess, spawnRole, uploadGenerated } from "../../scripts/bench-kinds";
import { type Json, type KindsPlatform, startKindsPlatform } from "./setup";

const MB = 1024 * 1024;
const SIZE_MB = 200;

let p: KindsPlatform;
let worker: RoleProcess;
beforeAll(async () => {
  p = await startKindsPlatform({ worker: false, env: { MAX_UPLOAD_BYTES: String(256 * MB) } });
  worker = await spawnRole("worker", {
    NODE_ENV: "test", DATABASE_URL: p.db.url, REDIS_URL: p.ctx.config.REDIS_URL, QUEUE_PREFIX: p.ctx.config.QUEUE_PREFIX,
    STORAGE_DIR: p.storageDir, MAX_UPLOAD_BYTES: String(256 * MB), JOB_BACKOFF_MS: "100",
  });
});
afterAll(async () => {
  await worker?.stop();
  await p?.close();
});

it("hashes a 200 MB upload end to end while the worker's memory stays flat", async () => {
  const u = await p.user({ credits: 1000 });
  // Warm the worker up (modules, pools, JIT) so the baseline is its steady state.
  const small = await uploadGenerated(p.url, u.key, 1);
  const warm = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "file", input: { file_id: small.body.id, operation: "sha256" } });
  expect((await p.final(u.key, warm.body.id)).status).toBe("succeeded");

  const up = await uploadGenerated(p.url, u.key, SIZE_MB, "big.bin");
  expect(up.status).toBe(201);
  expect(up.body).toMatchObject({ size_bytes: SIZE_MB * MB, sha256: up.sha256 });

  const baseline = RssSampler.rssMb(worker.pid);
  const rss = new RssSampler(worker.pid).start(20);
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "file", input: { file_id: up.body.id, operation: "sha256" } });
  expect(sub.body.credits.estimated).toBe(SIZE_MB + 1);
  // Progress is bytes read / size: watch it move while the job runs.
  const seen = new Set<number>();
  let job: Json;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 40))) {
    job = (await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`)).body;
    if (job.status === "running") seen.add(job.progress);
    if (["succeeded", "failed", "canceled"].includes(job.status)) break;
  }
  rss.stop();

  expect(job).toMatchObject({
    status: "succeeded", credits: { estimated: 201, charged: 201, refunded: 0 },
    result: { operation: "sha256", sha256: up.sha256, input: { size_bytes: SIZE_MB * MB } },
  });
  const growth = rss.peakMb - baseline;
  console.log(`worker RSS: ${baseline.toFixed(1)} MB before, ${rss.peakMb.toFixed(1)} MB peak (+${growth.toFixed(1)} MB) for ${SIZE_MB} MB`);
  // Reading it into memory would add 200 MB; streaming stays within GC noise.
  expect(growth).toBeLessThan(100);
  expect([...seen].filter((x) => x > 0 && x < 100).length, `progress seen: ${[...seen].join(", ")}`).toBeGreaterThan(0);
}, 120_000);
