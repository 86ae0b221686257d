/** The `holdfast` CLI as a child process (from source through its bin launcher) against a real platform. */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KindsPlatform, startSdkPlatform } from "./setup.js";

const BIN = fileURLToPath(new URL("../bin/holdfast.mjs", import.meta.url));
let p: KindsPlatform;
let user: { id: string; key: string };
let exampleUser: { id: string; key: string };
let dir: string;
beforeAll(async () => {
  p = await startSdkPlatform();
  user = await p.user({ credits: 100 });
  exampleUser = await p.user({ credits: 100 });
  dir = await mkdtemp(path.join(tmpdir(), "holdfast-cli-"));
});
afterAll(async () => {
  await p?.close();
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? "", HOLDFAST_URL: p.url, HOLDFAST_API_KEY: user.key, ...env }, timeout: 60_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
  });
}

function example(name: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", fileURLToPath(new URL(`../examples/${name}`, import.meta.url)), ...args], {
      env: { PATH: process.env.PATH ?? "", HOLDFAST_URL: p.url, HOLDFAST_API_KEY: exampleUser.key }, timeout: 60_000,
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe("examples", () => {
  it("the AI chat, file processing and batch examples run against the platform", async () => {
    const chat = await example("ai-chat.ts", ["What is a hold?"]);
    expect(chat.stderr).toBe("");
    expect(chat).toMatchObject({ code: 0 });
    expect(chat.stdout).toMatch(/1 credits for the prompt, \d+ for the answer/);
    const file = await example("file-processing.ts");
    expect(file.code).toBe(0);
    expect(file.stdout).toMatch(/^[0-9a-f]{64} /);
    const batch = await example("batch.ts");
    expect(batch.code).toBe(0);
    expect(batch.stdout).toMatch(/2: failed \(empty document\)/);
  });
});

describe("holdfast CLI", () => {
  it("balance and estimate, human and --json", async () => {
    const b = await cli(["balance"]);
    expect(b).toMatchObject({ code: 0 });
    expect(b.stdout).toMatch(/100 standard credits available/);
    expect(JSON.parse((await cli(["balance", "--json"])).stdout)).toMatchObject({ available: 100, held: 0 });
    const e = JSON.parse((await cli(["--json", "estimate", "script", "wordcount", "--param", "text=hi"])).stdout);
    expect(e).toMatchObject({ kind: "script", credits: 5 });
  });

  it("run --follow to completion prints the result and exits 0; a failing job exits 1", async () => {
    const ok = await cli(["run", "script", "wordcount", "--param", "text=hello holdfast cli", "--follow", "--json"]);
    expect(ok.code).toBe(0);
    const job = JSON.parse(ok.stdout);
    expect(job).toMatchObject({ status: "succeeded", kind: "script", credits: { held: 0 } });
    expect(job.result.result).toMatchObject({ words: 3 });
    const human = await cli(["run", "test", "--input", '{"ms":200,"progress":true}', "--follow"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^succeeded: charged 3, refunded 0 credits/);
    const failed = await cli(["run", "test", "--input", '{"fail":"user"}', "--follow", "--json"]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ status: "failed", error: { type: "user" } });
    const ls = JSON.parse((await cli(["jobs", "ls", "--json"])).stdout);
    expect(ls.map((j: { status: string }) => j.status)).toEqual(["failed", "succeeded", "succeeded"]);
  });

  it("upload, transactions --csv, holds create/capture/release", async () => {
    const file = path.join(dir, "in.txt");
    await writeFile(file, "some bytes\n");
    const up = JSON.parse((await cli(["upload", file, "--json"])).stdout);
    expect(up).toMatchObject({ name: "in.txt", size_bytes: 11 });

    const h = JSON.parse((await cli(["holds", "create", "10", "--description", "cli hold", "--json"])).stdout);
    expect(h).toMatchObject({ status: "pending", credits: { held: 10 } });
    const c = JSON.parse((await cli(["holds", "capture", h.id, "4", "--json"])).stdout);
    expect(c).toMatchObject({ status: "captured", credits: { captured: 4, released: 6 } });
    const h2 = JSON.parse((await cli(["holds", "create", "2", "--json"])).stdout);
    expect((await cli(["holds", "release", h2.id])).stdout).toMatch(/released 2/);

    const csv = (await cli(["transactions", "--csv"])).stdout.trim().split("\n");
    expect(csv[0]).toBe("id,created_at,type,amount,credit_type,description,job_id,hold_id");
    expect(csv.slice(1).map((l) => l.split(",")[2])).toContain("capture");
    expect(csv.find((l) => l.split(",")[2] === "capture")).toContain(h.id);
  });

  it("errors print the API's message and code and exit non-zero", async () => {
    const again = await cli(["holds", "release", "00000000-0000-0000-0000-000000000000"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/Hold not found\. \(not_found, HTTP 404\)/);
    const short = await cli(["holds", "create", "100000", "--json"]);
    expect(short.code).toBe(1);
    expect(JSON.parse(short.stdout)).toMatchObject({ error: { code: "insufficient_credits", details: { required: 100000 } } });
    const noKey = await cli(["balance"], { HOLDFAST_API_KEY: "" });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/HOLDFAST_API_KEY/);
    const unknownScript = await cli(["run", "script", "nope"]);
    expect(unknownScript.code).toBe(1);
    expect(unknownScript.stderr).toMatch(/\(invalid_request, HTTP 400\)\n {2}input\.script: unknown script "nope"; registered: .*wordcount/);
    const badKey = await cli(["balance", "--api-key", "hf_wrong"]);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/unauthenticated/);
  });
});
