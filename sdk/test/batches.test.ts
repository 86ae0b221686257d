/** The SDK's batches (list, get, cancel), the CLI's `batches` commands, and jobs.wait's progress reports, against a real platform. */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BatchSummary, HoldfastClient, HoldfastError } from "../src/index.js";
import { builtinKinds } from "../../src/jobs/builtin.js";
import { testKind } from "../../test/helpers/kinds.js";
import { startKindsPlatform } from "../../test/kinds/setup.js";
import { type KindsPlatform, startSdkPlatform } from "./setup.js";

const BIN = fileURLToPath(new URL("../bin/holdfast.mjs", import.meta.url));
let p: KindsPlatform;
/** Without a worker, for the CLI: its jobs stay queued however slowly the child processes start. */
let idle: KindsPlatform;
beforeAll(async () => {
  [p, idle] = await Promise.all([
    startSdkPlatform(),
    startKindsPlatform({ env: { RATE_LIMIT_PER_MINUTE: "0" }, kinds: (config) => builtinKinds(config).register(testKind), worker: false }),
  ]);
});
afterAll(async () => {
  await Promise.all([p?.close(), idle?.close()]);
});

async function clientFor(credits: number, on = p) {
  const u = await on.user({ credits });
  return { u, hf: new HoldfastClient({ baseUrl: on.url, apiKey: u.key }) };
}

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

function cli(key: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? "", HOLDFAST_URL: idle.url, HOLDFAST_API_KEY: key }, timeout: 60_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe("batches", () => {
  it("list (newest first, every page, by status), get and cancel; a second cancel is a 409", async () => {
    const { u, hf } = await clientFor(100);
    const a = await hf.batches.submit([{ kind: "test", input: { cost: 2 } }]);
    await p.final(u.key, a.jobs[0]!.id);
    const b = await hf.batches.submit([{ kind: "test", input: { cost: 3, ms: 4000 } }, { kind: "test", input: { cost: 4, ms: 4000 } }]);
    const c = await hf.batches.submit([{ kind: "test", input: { cost: 1, ms: 4000 } }]);

    const all: BatchSummary[] = await collect(hf.batches.list({ limit: 1 }));
    expect(all.map((x) => x.id)).toEqual([c.id, b.id, a.id]);
    expect(all[2]).toMatchObject({ status: "finished", credits: { estimated: 2, charged: 2, held: 0 }, counts: { succeeded: 1 } });
    expect(all[0]).not.toHaveProperty("jobs");
    expect((await collect(hf.batches.list({ status: "finished" }))).map((x) => x.id)).toEqual([a.id]);

    const got = await hf.batches.get(b.id);
    expect(got.jobs.map((j) => j.id)).toEqual(b.jobs.map((j) => j.id));

    const canceled = await hf.batches.cancel(b.id);
    expect(canceled).toMatchObject({ id: b.id, status: "finished", credits: { estimated: 7, held: 0, charged: 0, refunded: 7 }, counts: { canceled: 2 } });
    const again = await hf.batches.cancel(b.id).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(HoldfastError);
    expect(again).toMatchObject({ status: 409, code: "invalid_state" });
    await expect(hf.batches.cancel(randomUUID())).rejects.toMatchObject({ status: 404, code: "not_found" });
    await hf.batches.cancel(c.id);
    expect((await hf.credits.balance()).available).toBe(98);
  });

  it("the CLI lists, shows and cancels batches (human and --json)", async () => {
    const { u, hf } = await clientFor(100, idle);
    const b = await hf.batches.submit([{ kind: "test", input: { cost: 3 } }, { kind: "test", input: { cost: 4 } }]);

    const ls = await cli(u.key, ["batches", "ls"]);
    expect(ls).toMatchObject({ code: 0, stderr: "" });
    expect(ls.stdout).toContain(b.id);
    expect(ls.stdout).toMatch(/active\s+2 jobs/);
    const lsJson = JSON.parse((await cli(u.key, ["batches", "ls", "--json", "--status", "active"])).stdout);
    expect(lsJson.map((x: { id: string }) => x.id)).toEqual([b.id]);

    const get = await cli(u.key, ["batches", "get", b.id]);
    expect(get.code).toBe(0);
    for (const j of b.jobs) expect(get.stdout).toContain(j.id);

    const cancel = JSON.parse((await cli(u.key, ["batches", "cancel", b.id, "--json"])).stdout);
    expect(cancel).toMatchObject({ id: b.id, status: "finished", counts: { canceled: 2 }, credits: { refunded: 7 } });
    const again = await cli(u.key, ["batches", "cancel", b.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/invalid_state, HTTP 409/);
    const bad = await cli(u.key, ["batches", "ls", "--status", "done"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Allowed choices are active, finished/);
  });
});

describe("jobs.wait", () => {
  it("reports each progress value once: the final job event repeats the last progress event's 100", async () => {
    const { hf } = await clientFor(100);
    const job = await hf.jobs.submit({ kind: "test", input: { ms: 600, progress: true } });
    const seen: number[] = [];
    const done = await hf.jobs.wait(job.id, { onProgress: (n) => seen.push(n), timeoutMs: 20_000 });
    expect(done).toMatchObject({ status: "succeeded", progress: 100 });
    expect(seen.at(-1)).toBe(100);
    expect(seen.filter((n) => n === 100)).toHaveLength(1);
    expect(seen.filter((n, i) => i > 0 && n === seen[i - 1])).toEqual([]);
  });
});
