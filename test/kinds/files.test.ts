/**
 * Uploads, downloads and the file kind end to end: real HTTP, real disk
 * storage (a temp folder per file), real worker. MAX_UPLOAD_BYTES is 3 MiB
 * here so the limit is cheap to cross.
 */
import { createHash, randomBytes } from "node:crypto";
import { unlink } from "node:fs/promises";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config";
import { builtinKinds, maxOutputBytes } from "../../src/jobs/builtin";
import { Canceled } from "../../src/jobs/run-errors";
import type { RunContext } from "../../src/jobs/kind";
import { fileKind } from "../../src/jobs/kinds/file/kind";
import { pruneJobOutputsTask } from "../../src/files/prune-outputs";
import { type BlobWriter, LocalDiskStorage } from "../../src/files/storage";
import { FileStore } from "../../src/files/store";
import { jobCount, type Json, type KindsPlatform, startKindsPlatform } from "./setup";

const MB = 1024 * 1024;
const LIMIT = 3 * MB;

function kinds(config: Config) {
  // The real kinds, plus `file` with a 30 ms limit for the timeout test.
  return builtinKinds(config).register({ ...fileKind({ timeoutMs: 30, maxOutputBytes: maxOutputBytes(config) }), name: "file-tight" });
}

let p: KindsPlatform;
beforeAll(async () => {
  p = await startKindsPlatform({ env: { MAX_UPLOAD_BYTES: String(LIMIT) }, kinds });
});
afterAll(async () => {
  await p?.close();
});

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

async function upload(key: string, body: Buffer | string, opts: { name?: string; type?: string } = {}) {
  const res = await fetch(`${p.url}/api/v1/files${opts.name ? `?name=${encodeURIComponent(opts.name)}` : ""}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": opts.type ?? "application/octet-stream" },
    body,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function download(key: string, id: string) {
  const res = await fetch(`${p.url}/api/v1/files/${id}/content`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

const fileJob = (key: string, file_id: string, operation: string, kind = "file") => p.api(key, "POST", "/api/v1/jobs", { kind, input: { file_id, operation } });

async function rowCount(): Promise<number> {
  return Number((await p.ctx.ds.query(`SELECT count(*) AS n FROM files`))[0].n);
}

describe("uploads and downloads", () => {
  it("stores a raw body with its size and sha256 and streams it back", async () => {
    const u = await p.user();
    const data = randomBytes(1.5 * MB);
    const up = await upload(u.key, data, { name: "blob.bin" });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ name: "blob.bin", content_type: "application/octet-stream", size_bytes: data.length, sha256: sha(data), source_job_id: null });
    const down = await download(u.key, up.body.id);
    expect(down.status).toBe(200);
    expect(down.bytes.equals(data)).toBe(true);
    expect(down.headers.get("content-length")).toBe(String(data.length));
    expect(down.headers.get("content-disposition")).toContain('filename="blob.bin"');
    expect((await p.api(u.key, "GET", `/api/v1/files/${up.body.id}`)).body).toEqual(up.body);
    expect((await p.api(u.key, "GET", "/api/v1/files")).body.data.map((f: { id: string }) => f.id)).toContain(up.body.id);
  });

  it("stores a JSON body untouched, past the JSON body limit", async () => {
    const u = await p.user();
    const json = JSON.stringify({ rows: Array.from({ length: 60_000 }, (_, i) => ({ i, v: "value" })) });
    expect(json.length).toBeGreaterThan(1024 * 1024);
    const up = await upload(u.key, json, { name: "data.json", type: "application/json" });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ size_bytes: Buffer.byteLength(json), sha256: sha(json), content_type: "application/json" });
  });

  it("stores the first file part of a multipart upload", async () => {
    const u = await p.user();
    const form = new FormData();
    form.append("note", "ignored field");
    form.append("file", new Blob(["a,b\n1,2\n"], { type: "text/csv" }), "table.csv");
    form.append("second", new Blob(["ignored"]), "second.txt");
    const res = await fetch(`${p.url}/api/v1/files`, { method: "POST", headers: { authorization: `Bearer ${u.key}` }, body: form });
    const body = (await res.json()) as Json;
    expect(res.status).toBe(201);
    expect(body).toMatchObject({ name: "table.csv", content_type: "text/csv", size_bytes: 8, sha256: sha("a,b\n1,2\n") });
  });

  it("refuses a multipart body without a file part", async () => {
    const u = await p.user();
    const form = new FormData();
    form.append("note", "no file here");
    const res = await fetch(`${p.url}/api/v1/files`, { method: "POST", headers: { authorization: `Bearer ${u.key}` }, body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error.code).toBe("invalid_request");
  });

  it("keeps files private: another user gets 404, and cannot use it in a job", async () => {
    const owner = await p.user();
    const other = await p.user({ credits: 50 });
    const up = await upload(owner.key, "secret");
    expect((await p.api(other.key, "GET", `/api/v1/files/${up.body.id}`)).status).toBe(404);
    expect((await download(other.key, up.body.id)).status).toBe(404);
    expect((await p.api(other.key, "GET", "/api/v1/files")).body.data).toEqual([]);
    const job = await fileJob(other.key, up.body.id, "sha256");
    expect(job.status).toBe(400);
    expect(job.body.error.details.issues[0].path).toBe("input.file_id");
    expect(await p.balance(other.id)).toEqual({ available: 50, held: 0, posted: 50 });
  });

  it("needs an API key", async () => {
    const res = await fetch(`${p.url}/api/v1/files`, { method: "POST", body: "x" });
    expect(res.status).toBe(401);
  });
});

describe("uploads over the limit → 413, and no file is left", () => {
  const tooBig = () => randomBytes(LIMIT + MB);

  async function expectNothingStored(before: { files: string[]; rows: number }) {
    expect(await p.storedFiles()).toEqual(before.files);
    expect(await rowCount()).toBe(before.rows);
  }

  it("refuses a declared Content-Length over the limit before reading it", async () => {
    const u = await p.user();
    const before = { files: await p.storedFiles(), rows: await rowCount() };
    const r = await upload(u.key, tooBig());
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: "payload_too_large", details: { max_bytes: LIMIT } });
    await expectNothingStored(before);
  });

  it("stops a streamed (chunked) body at the limit and deletes the partial file", async () => {
    const u = await p.user();
    const before = { files: await p.storedFiles(), rows: await rowCount() };
    async function* chunks() {
      for (let i = 0; i < 16; i++) {
        yield randomBytes(256 * 1024);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const res = await fetch(`${p.url}/api/v1/files`, {
      method: "POST", headers: { authorization: `Bearer ${u.key}` }, body: chunks() as unknown as RequestInit["body"], duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.headers.get("connection")).toBe("close");
    expect(((await res.json()) as Json).error.code).toBe("payload_too_large");
    await expectNothingStored(before);
  });

  it("stops a multipart file part at the limit", async () => {
    const u = await p.user();
    const before = { files: await p.storedFiles(), rows: await rowCount() };
    const form = new FormData();
    form.append("file", new Blob([tooBig()]), "big.bin");
    const res = await fetch(`${p.url}/api/v1/files`, { method: "POST", headers: { authorization: `Bearer ${u.key}` }, body: form });
    expect(res.status).toBe(413);
    await expectNothingStored(before);
  });
});

describe("file jobs", () => {
  it("sha256: streams the file and charges 1 per started MB plus the fee", async () => {
    const u = await p.user({ credits: 100 });
    const data = randomBytes(2.5 * MB);
    const up = await upload(u.key, data);
    const est = await p.api(u.key, "POST", "/api/v1/estimates", { kind: "file", input: { file_id: up.body.id, operation: "sha256" } });
    expect(est.body).toEqual({
      kind: "file", credits: 4, credit_type: "standard",
      breakdown: [{ item: "3 started MB of input", credits: 3 }, { item: "sha256 operation", credits: 1 }],
    });
    const job = await p.final(u.key, (await fileJob(u.key, up.body.id, "sha256")).body.id);
    expect(job).toMatchObject({
      status: "succeeded", credits: { estimated: 4, charged: 4, refunded: 0 },
      result: { operation: "sha256", sha256: sha(data), input: { file_id: up.body.id, size_bytes: data.length } },
    });
  });

  it("line-count counts lines, the last one without a newline too", async () => {
    const u = await p.user({ credits: 100 });
    const up = await upload(u.key, "one\ntwo\n\nfour");
    const job = await p.final(u.key, (await fileJob(u.key, up.body.id, "line-count")).body.id);
    expect(job).toMatchObject({ status: "succeeded", result: { lines: 4 }, credits: { charged: 2 } });
  });

  it("csv-to-json writes a new JSON file the user can download", async () => {
    const u = await p.user({ credits: 100 });
    const up = await upload(u.key, "\uFEFFname,qty\nbolt,12\n\"nut, hex\",7\n", { name: "parts.csv", type: "text/csv" });
    const sub = await fileJob(u.key, up.body.id, "csv-to-json");
    const job = await p.final(u.key, sub.body.id);
    expect(job).toMatchObject({ status: "succeeded", credits: { charged: 1 + 3 }, result: { rows: 2, output: { name: "parts.json", content_type: "application/json" } } });
    const out = await download(u.key, job.result.output.file_id);
    expect(JSON.parse(out.bytes.toString())).toEqual([{ name: "bolt", qty: "12" }, { name: "nut, hex", qty: "7" }]);
    expect(job.result.output.sha256).toBe(sha(out.bytes));
    const meta = await p.api(u.key, "GET", `/api/v1/files/${job.result.output.file_id}`);
    expect(meta.body.source_job_id).toBe(sub.body.id);
    const stranger = await p.user();
    expect((await download(stranger.key, job.result.output.file_id)).status).toBe(404);
  });

  it("gzip then gunzip gives the original bytes back", async () => {
    const u = await p.user({ credits: 100 });
    const data = Buffer.from("holdfast ".repeat(200_000));
    const up = await upload(u.key, data, { name: "words.txt" });
    const gz = await p.final(u.key, (await fileJob(u.key, up.body.id, "gzip")).body.id);
    expect(gz).toMatchObject({ status: "succeeded", credits: { charged: 2 + 2 }, result: { output: { name: "words.txt.gz" } } });
    const gzBytes = (await download(u.key, gz.result.output.file_id)).bytes;
    expect(gunzipSync(gzBytes).equals(data)).toBe(true);
    const back = await p.final(u.key, (await fileJob(u.key, gz.result.output.file_id, "gunzip")).body.id);
    expect(back).toMatchObject({ status: "succeeded", result: { output: { name: "words.txt", size_bytes: data.length, sha256: sha(data) } } });
  });

  it("an unparseable file is the user's failure, charged for what was read, with no output left", async () => {
    const u = await p.user({ credits: 100 });
    const notGzip = await upload(u.key, randomBytes(4096));
    const filesBefore = await p.storedFiles();
    const job = await p.final(u.key, (await fileJob(u.key, notGzip.body.id, "gunzip")).body.id);
    expect(job).toMatchObject({ status: "failed", attempts: 1, error: { type: "user" }, credits: { estimated: 3, charged: 3, refunded: 0 } });
    expect(job.error.message).toMatch(/cannot be processed by gunzip/);
    expect(await p.storedFiles()).toEqual(filesBefore);

    const truncated = await upload(u.key, gzipSync(randomBytes(100_000)).subarray(0, 5000));
    const t = await p.final(u.key, (await fileJob(u.key, truncated.body.id, "gunzip")).body.id);
    expect(t).toMatchObject({ status: "failed", error: { type: "user" } });

    const badCsv = await upload(u.key, 'a,b\n1,"unclosed\n2,3\n');
    const c = await p.final(u.key, (await fileJob(u.key, badCsv.body.id, "csv-to-json")).body.id);
    expect(c).toMatchObject({ status: "failed", error: { type: "user" }, credits: { charged: 1 + 3 } });
    expect(await p.storedFiles()).toHaveLength(filesBefore.length + 2);
  });

  it("a storage error is the platform's failure: retried, then refunded", async () => {
    const u = await p.user({ credits: 100 });
    const up = await upload(u.key, "bytes that will vanish");
    const row = (await p.ctx.ds.query(`SELECT storage_key FROM files WHERE id = $1`, [up.body.id]))[0];
    await unlink(path.join(p.storageDir, row.storage_key));
    const job = await p.final(u.key, (await fileJob(u.key, up.body.id, "sha256")).body.id);
    expect(job).toMatchObject({ status: "failed", attempts: 3, error: { type: "system" }, credits: { charged: 0, refunded: 2 } });
    expect(job.error.message).toMatch(/could not be read from storage/);
    expect(await p.balance(u.id)).toEqual({ available: 100, held: 0, posted: 100 });
  });

  it("past the time limit the job is stopped, refunded, not retried, and its partial output removed", async () => {
    const u = await p.user({ credits: 100 });
    const up = await upload(u.key, randomBytes(LIMIT));
    const filesBefore = await p.storedFiles();
    const job = await p.final(u.key, (await fileJob(u.key, up.body.id, "gzip", "file-tight")).body.id);
    expect(job).toMatchObject({ status: "failed", attempts: 1, error: { type: "system" }, credits: { charged: 0, refunded: 5 } });
    expect(job.error.message).toMatch(/30 ms time limit/);
    // The aborted write cleans up after itself (asynchronously, after the job ended).
    await new Promise((r) => setTimeout(r, 300));
    expect(await p.storedFiles()).toEqual(filesBefore);
  });

  it.each([
    [{ file_id: "not-a-uuid", operation: "sha256" }, "input.file_id"],
    [{ file_id: "00000000-0000-4000-8000-000000000000", operation: "sha256" }, "input.file_id"],
    [{ file_id: "00000000-0000-4000-8000-000000000000", operation: "rot13" }, "input.operation"],
    [{ file_id: "00000000-0000-4000-8000-000000000000" }, "input.operation"],
  ])("refuses %j at submit (%s) with nothing held", async (input, issuePath) => {
    const u = await p.user({ credits: 100 });
    const r = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "file", input });
    expect(r.status).toBe(400);
    expect(r.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(issuePath);
    expect(await p.balance(u.id)).toEqual({ available: 100, held: 0, posted: 100 });
    expect(await jobCount(p, u.id)).toBe(0);
  });
});

describe("outputs of jobs that do not succeed", () => {
  function runContext(jobId: string, userId: string, signal: AbortSignal, store: FileStore): RunContext {
    return { jobId, userId, attempt: 1, held: 100, signal, progress: () => undefined, logger: p.ctx.logger, services: { files: store } };
  }
  const outputRows = async (jobId: string) => Number((await p.ctx.ds.query(`SELECT count(*) AS n FROM files WHERE source_job_id = $1`, [jobId]))[0].n);

  it("a job cancelled just as its output's bytes are committed publishes nothing: no row, no file on disk", async () => {
    const u = await p.user({ credits: 100 });
    const up = await upload(u.key, "name,qty\nbolt,12\n", { name: "parts.csv" });
    // A real job id for the output to hang on; it succeeded, so an output row of it WOULD be visible.
    const job = await p.final(u.key, (await fileJob(u.key, up.body.id, "line-count")).body.id);
    const before = await p.storedFiles();
    const ac = new AbortController();
    // Storage that lets the cancel land right after the blob is renamed into place, before the row is written.
    class CancelOnCommit extends LocalDiskStorage {
      override async createWriter(key: string): Promise<BlobWriter> {
        const w = await super.createWriter(key);
        return { stream: w.stream, abort: () => w.abort(), commit: async () => {
          await w.commit();
          ac.abort(new Canceled());
        } };
      }
    }
    const store = new FileStore(p.ctx.ds, new CancelOnCommit(p.storageDir));
    const kind = fileKind({ maxOutputBytes: MB });
    await expect(kind.run({ file_id: up.body.id, operation: "csv-to-json" }, runContext(job.id, u.id, ac.signal, store))).rejects.toBeInstanceOf(Canceled);
    expect(await outputRows(job.id)).toBe(0);
    expect(await p.storedFiles()).toEqual(before);
  });

  it("an output written for a job that then failed is never visible, and the prune task removes its row and bytes", async () => {
    const u = await p.user({ credits: 100 });
    const up = await upload(u.key, randomBytes(LIMIT));
    const failed = await p.final(u.key, (await fileJob(u.key, up.body.id, "gzip", "file-tight")).body.id);
    expect(failed).toMatchObject({ status: "failed", error: { type: "system" } });
    await new Promise((r) => setTimeout(r, 300)); // its aborted write cleans up asynchronously
    const before = await p.storedFiles();
    // A late writer (the run finished just as the timeout or a cancel won) stores the output anyway.
    const store = new FileStore(p.ctx.ds, new LocalDiskStorage(p.storageDir));
    const out = await fileKind({ maxOutputBytes: 8 * MB }).run({ file_id: up.body.id, operation: "gzip" }, runContext(failed.id, u.id, new AbortController().signal, store));
    const outputId = (out.result as Json).output.file_id as string;
    expect(await outputRows(failed.id)).toBe(1);
    expect(await p.storedFiles()).toHaveLength(before.length + 1);

    expect((await p.api(u.key, "GET", `/api/v1/files/${outputId}`)).status).toBe(404);
    expect((await download(u.key, outputId)).status).toBe(404);
    expect((await p.api(u.key, "GET", "/api/v1/files")).body.data.map((f: { id: string }) => f.id)).not.toContain(outputId);
    expect((await fileJob(u.key, outputId, "sha256")).status).toBe(400);

    expect(await pruneJobOutputsTask().run(p.ctx, new Date())).toEqual({ removed: 1 });
    expect(await outputRows(failed.id)).toBe(0);
    expect(await p.storedFiles()).toEqual(before);
    expect(await pruneJobOutputsTask().run(p.ctx, new Date())).toEqual({ removed: 0 });
  });
});
