/**
 * The script kind end to end: HTTP submit → real worker → a real child
 * process → settle. The built-in scripts plus test-only ones from
 * test/fixtures/kinds-scripts (failing, crashing, spewing, hanging).
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Config } from "../../src/config";
import { KindRegistry } from "../../src/jobs/kind";
import { scriptKind } from "../../src/jobs/kinds/script/kind";
import { BUILTIN_SCRIPTS, type ScriptDefinition, ScriptRegistry } from "../../src/jobs/kinds/script/registry";
import { PRICES } from "../../src/jobs/price-list";
import { waitFor } from "../helpers/platform";
import { jobCount, type KindsPlatform, startKindsPlatform } from "./setup";

const FIXTURES = path.resolve(__dirname, "../fixtures/kinds-scripts");
const PRICE = PRICES.script.perRun;

const anyParams = z.record(z.string(), z.unknown());
const TEST_SCRIPTS: ScriptDefinition[] = [
  { name: "echo", description: "echo", file: path.join(FIXTURES, "echo.mjs"), parameters: anyParams, timeoutMs: 10_000 },
  { name: "fail", description: "fail", file: path.join(FIXTURES, "fail.mjs"), parameters: anyParams, timeoutMs: 10_000 },
  { name: "spew", description: "spew", file: path.join(FIXTURES, "spew.mjs"), parameters: anyParams, timeoutMs: 60_000 },
  { name: "oom", description: "oom", file: path.join(FIXTURES, "oom.mjs"), parameters: anyParams, timeoutMs: 20_000, maxMemoryMb: 24 },
  { name: "crash", description: "crash", file: path.join(FIXTURES, "crash.mjs"), parameters: anyParams, timeoutMs: 10_000 },
  { name: "tempfail", description: "tempfail", file: path.join(FIXTURES, "tempfail.mjs"), parameters: anyParams, timeoutMs: 10_000 },
  { name: "spawner", description: "spawner", file: path.join(FIXTURES, "spawner.mjs"), parameters: anyParams, timeoutMs: 1_500 },
  { name: "missing", description: "missing", file: path.join(FIXTURES, "does-not-exist.mjs"), parameters: anyParams, timeoutMs: 10_000 },
  { name: "oom-text", description: "oom-text", file: path.join(FIXTURES, "oom-text.mjs"), parameters: anyParams, timeoutMs: 10_000 },
  { name: "spin", description: "spin", file: path.join(FIXTURES, "spin.mjs"), parameters: anyParams, timeoutMs: 30_000, cpuSeconds: 1 },
  { name: "hog", description: "hog", file: path.join(FIXTURES, "hog.mjs"), parameters: anyParams, timeoutMs: 20_000, memoryMb: 128 },
  // A V8 heap far above the data limit: the operating system's limit is the one that stops it.
  { name: "oom-data", description: "oom-data", file: path.join(FIXTURES, "oom.mjs"), parameters: anyParams, timeoutMs: 20_000, maxMemoryMb: 2048, memoryMb: 128 },
];

function kinds(config: Config): KindRegistry {
  return new KindRegistry().register(scriptKind(new ScriptRegistry(config.SCRIPTS_DIR, [...BUILTIN_SCRIPTS, ...TEST_SCRIPTS])));
}

let p: KindsPlatform;
let scratch: string;
beforeAll(async () => {
  p = await startKindsPlatform({ kinds });
  scratch = await mkdtemp(path.join(tmpdir(), "holdfast-script-test-"));
});
afterAll(async () => {
  await p?.close();
  await rm(scratch, { recursive: true, force: true });
});

const run = (key: string, script: string, parameters: unknown) => p.api(key, "POST", "/api/v1/jobs", { kind: "script", input: { script, parameters } });

describe("success", () => {
  it("wordcount runs and is charged its price", async () => {
    const u = await p.user({ credits: 100 });
    const sub = await run(u.key, "wordcount", { text: "hello holdfast\nsecond line" });
    expect(sub.status).toBe(202);
    expect(sub.body.credits).toMatchObject({ estimated: PRICE, held: PRICE });
    const job = await p.final(u.key, sub.body.id);
    expect(job).toMatchObject({
      status: "succeeded", attempts: 1, error: null, credits: { estimated: PRICE, held: 0, charged: PRICE, refunded: 0 },
      result: { exit_code: 0, stderr: "", result: { words: 4, lines: 2, characters: 26 } },
    });
    expect(await p.balance(u.id)).toEqual({ available: 100 - PRICE, held: 0, posted: 100 - PRICE });
  });

  it("passes shell metacharacters through literally and harms nothing", async () => {
    const canary = path.join(scratch, "canary.txt");
    await writeFile(canary, "still here");
    const evil = `; rm -rf ${canary} && $(whoami) \`id\` | cat /etc/passwd > ${canary} & echo pwned`;
    const u = await p.user({ credits: 100 });
    const wc = await p.final(u.key, (await run(u.key, "wordcount", { text: evil })).body.id);
    expect(wc.status).toBe("succeeded");
    expect(wc.result.result.characters).toBe([...evil].length);
    const echo = await p.final(u.key, (await run(u.key, "echo", { text: evil })).body.id);
    expect(echo.status).toBe("succeeded");
    expect(echo.result.result.parameters).toEqual({ text: evil });
    expect(echo.result.result.argv).toEqual([]);
    expect(await readFile(canary, "utf8")).toBe("still here");
  });

  it("runs with a scrubbed environment in a private working directory that is removed afterwards", async () => {
    const u = await p.user({ credits: 100 });
    const job = await p.final(u.key, (await run(u.key, "echo", {})).body.id);
    const r = job.result.result;
    expect(r.env).toEqual(["HOME", "LANG", "PATH", "TMPDIR"]);
    expect(r.home).toBe(r.cwd);
    expect(r.cwd).not.toBe(process.cwd());
    expect(existsSync(r.cwd)).toBe(false);
  });

  it("turns PROGRESS lines into job progress and keeps them out of stdout", async () => {
    const u = await p.user({ credits: 100 });
    const sub = await run(u.key, "sleep", { seconds: 2 });
    const mid = await waitFor(async () => {
      const r = await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`);
      return r.body.status === "running" && r.body.progress === 50 ? r.body : null;
    }, { intervalMs: 100, what: "progress 50" });
    expect(mid.progress).toBe(50);
    const job = await p.final(u.key, sub.body.id);
    expect(job).toMatchObject({ status: "succeeded", progress: 100, credits: { charged: PRICES.script.perScript.sleep } });
    expect(job.result.stdout).not.toContain("PROGRESS");
    expect(job.result.result).toEqual({ slept: 2 });
  });

  it("caps 50 MB of output without blowing up the worker", async () => {
    const u = await p.user({ credits: 100 });
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const job = await p.final(u.key, (await run(u.key, "spew", { mb: 50 })).body.id, 60_000).finally(() => clearInterval(sampler));
    expect(job.status).toBe("succeeded");
    expect(job.credits.charged).toBe(PRICE);
    const stdout: string = job.result.stdout;
    expect(stdout.length).toBeLessThan(1024 * 1024 + 200);
    expect(stdout.length).toBeGreaterThanOrEqual(1024 * 1024);
    expect(stdout).toMatch(/…\[output truncated: \d+ more bytes were not kept\]$/);
    expect(Number(/truncated: (\d+) more/.exec(stdout)![1])).toBe(50 * 1024 * 1024 - 1024 * 1024);
    expect(stdout).not.toContain("PROGRESS");
    expect(job.result.result).toBeNull();
    // The worker runs in this process. Garbage not yet collected (the pipe's 64 KiB chunks)
    // accounts for ~30-40 MB whatever the output's size; keeping the output would add
    // 50 MB and more on top, so it would cross this line.
    expect((peak - before) / 1024 / 1024).toBeLessThan(64);
  });
});

describe("failures", () => {
  it("exit code ≠ 0 is the user's failure, charged in full and not retried", async () => {
    const u = await p.user({ credits: 100 });
    const job = await p.final(u.key, (await run(u.key, "fail", { code: 3 })).body.id);
    expect(job).toMatchObject({
      status: "failed", attempts: 1, error: { type: "user" }, credits: { charged: PRICE, refunded: 0, held: 0 },
      result: { exit_code: 3, stdout: "partial output\n", result: null },
    });
    expect(job.error.message).toContain("exited with code 3");
    expect(job.result.stderr).toContain("'price' is not a number");
    expect(await p.balance(u.id)).toMatchObject({ available: 100 - PRICE, held: 0 });
  });

  it.each([
    ["crash", /killed by SIGSEGV/],
    ["tempfail", /temporary failure/],
    ["missing", /missing or unreadable/],
  ])("%s is a platform failure: retried, then refunded in full", async (script, message) => {
    const u = await p.user({ credits: 100 });
    const job = await p.final(u.key, (await run(u.key, script, {})).body.id, 45_000);
    expect(job).toMatchObject({ status: "failed", attempts: 3, error: { type: "system" }, credits: { charged: 0, refunded: PRICE, held: 0 } });
    expect(job.error.message).toMatch(message);
    expect(await p.balance(u.id)).toEqual({ available: 100, held: 0, posted: 100 });
  });

  it("stderr that reads like an out-of-memory crash, with exit 1, is still the user's failure: charged, not retried", async () => {
    const u = await p.user({ credits: 100 });
    const job = await p.final(u.key, (await run(u.key, "oom-text", {})).body.id);
    expect(job).toMatchObject({
      status: "failed", attempts: 1, error: { type: "user" }, credits: { charged: PRICE, refunded: 0, held: 0 }, result: { exit_code: 1 },
    });
    expect(job.error.message).toContain("exited with code 1");
    expect(job.result.stderr).toContain("JavaScript heap out of memory");
    expect(await p.balance(u.id)).toMatchObject({ available: 100 - PRICE, held: 0 });
  });

  it.each([
    ["oom", /ran out of memory/], // past the script's V8 heap limit (maxMemoryMb)
    ["oom-data", /ran out of memory/], // past its writable-memory limit (SCRIPT_MEMORY_MB / memoryMb)
    ["spin", /more than its 1 s of CPU time/], // past SCRIPT_CPU_SECONDS (cpuSeconds)
  ])("%s: over the operator's resource limit is the user's failure, charged in full and not retried", async (script, message) => {
    const u = await p.user({ credits: 100 });
    const t0 = Date.now();
    const job = await p.final(u.key, (await run(u.key, script, {})).body.id, 45_000);
    expect(job).toMatchObject({ status: "failed", attempts: 1, error: { type: "user" }, credits: { charged: PRICE, refunded: 0, held: 0 } });
    expect(job.error.message).toMatch(message);
    expect(Date.now() - t0).toBeLessThan(15_000); // stopped by the limit, not by the 20-30 s timeout
    expect(await p.balance(u.id)).toMatchObject({ available: 100 - PRICE, held: 0 });
  });

  it("a script cannot allocate past its writable-memory limit", async () => {
    const u = await p.user({ credits: 100 });
    const job = await p.final(u.key, (await run(u.key, "hog", {})).body.id, 45_000);
    expect(job).toMatchObject({ status: "failed", attempts: 1, error: { type: "user" }, credits: { charged: PRICE } });
    const reached = Math.max(...String(job.result.stdout).trim().split("\n").map(Number));
    expect(reached).toBeGreaterThan(0);
    expect(reached).toBeLessThan(128); // memoryMb: 128, Node itself included
  });

  it("past its timeout the whole process group is killed, refunded and not retried", async () => {
    const u = await p.user({ credits: 100 });
    const pidFile = path.join(scratch, "grandchild.pid");
    const job = await p.final(u.key, (await run(u.key, "spawner", { pidFile })).body.id);
    expect(job).toMatchObject({ status: "failed", attempts: 1, error: { type: "system" }, credits: { charged: 0, refunded: PRICE } });
    expect(job.error.message).toMatch(/1500 ms time limit/);
    const grandchild = Number(await readFile(pidFile, "utf8"));
    await waitFor(async () => !alive(grandchild), { timeoutMs: 3000, what: "grandchild to be killed" });
  });

  it("cancel while running kills the script and releases the hold", async () => {
    const u = await p.user({ credits: 100 });
    const sub = await run(u.key, "sleep", { seconds: 30 });
    await waitFor(async () => (await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`)).body.progress >= 3, { intervalMs: 100, what: "running" });
    const t0 = Date.now();
    const c = await p.api(u.key, "POST", `/api/v1/jobs/${sub.body.id}/cancel`);
    expect(c.status).toBe(200);
    const job = await p.final(u.key, sub.body.id);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(job).toMatchObject({ status: "canceled", credits: { charged: 0, held: 0 } });
    expect(await p.balance(u.id)).toEqual({ available: 100, held: 0, posted: 100 });
  });
});

describe("validation at submit (400, nothing held)", () => {
  it.each([
    [{ script: "rm", parameters: {} }, "input.script"],
    [{ script: "wordcount", parameters: { text: 42 } }, "input.parameters.text"],
    [{ script: "wordcount", parameters: { text: "x", extra: true } }, "input.parameters"],
    [{ script: "sleep", parameters: { seconds: 61 } }, "input.parameters.seconds"],
    [{ script: "sleep", parameters: { seconds: 1.5 } }, "input.parameters.seconds"],
    [{ script: "wordcount", parameters: { text: "x" }, code: "console.log(1)" }, "input"],
  ])("refuses %j (%s)", async (input, path) => {
    const u = await p.user({ credits: 100 });
    const r = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "script", input });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("invalid_request");
    expect(r.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect(await p.balance(u.id)).toEqual({ available: 100, held: 0, posted: 100 });
    expect(await jobCount(p, u.id)).toBe(0);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
