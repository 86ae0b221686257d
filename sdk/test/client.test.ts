/** Every HoldfastClient method against a real platform, typed errors, and retries that never charge twice. */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HoldfastClient, HoldfastError, InsufficientCreditsError, type Job, type JobEvent } from "../src/index.js";
import { type KindsPlatform, type Proxy, startProxy, startSdkPlatform } from "./setup.js";

let p: KindsPlatform;
let dir: string;
beforeAll(async () => {
  p = await startSdkPlatform();
  dir = await mkdtemp(path.join(tmpdir(), "holdfast-sdk-"));
});
afterAll(async () => {
  await p?.close();
  await rm(dir, { recursive: true, force: true });
});

async function clientFor(credits: number, role: "user" | "service" = "user") {
  const u = await p.user({ credits, role });
  return { u, hf: new HoldfastClient({ baseUrl: p.url, apiKey: u.key }) };
}

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe("jobs", () => {
  it("estimate, submit, wait with progress, get, events, list, cancel", async () => {
    const { hf } = await clientFor(100);
    expect(await hf.estimate({ kind: "script", input: { script: "wordcount", parameters: { text: "hi there" } } }))
      .toMatchObject({ kind: "script", credits: 5, credit_type: "standard", breakdown: expect.any(Array) });

    const job = await hf.jobs.submit({ kind: "test", input: { cost: 4, use: 3, ms: 300, progress: true } }, { maxCredits: 10 });
    expect(job).toMatchObject({ kind: "test", status: "queued", credits: { estimated: 4 } });
    const seen: number[] = [];
    const done = await hf.jobs.wait(job.id, { onProgress: (n) => seen.push(n), timeoutMs: 20_000 });
    expect(done).toMatchObject({ id: job.id, status: "succeeded", credits: { charged: 3, refunded: 1, held: 0 } });
    expect(seen.at(-1)).toBe(100);
    expect((await hf.jobs.get(job.id)).status).toBe("succeeded");

    const j2 = await hf.jobs.submit({ kind: "test", input: { ms: 300, progress: true } });
    const events: JobEvent[] = [];
    for await (const ev of hf.jobs.events(j2.id)) events.push(ev);
    expect(events[0]).toMatchObject({ type: "job" });
    expect(events.at(-1)).toMatchObject({ type: "job", job: { status: "succeeded" } });

    const slow = await hf.jobs.submit({ kind: "test", input: { ms: 5000 } });
    expect((await hf.jobs.cancel(slow.id)).status).toBe("canceled");
    await expect(hf.jobs.cancel(slow.id)).rejects.toMatchObject({ status: 409, code: "invalid_state" });

    const all: Job[] = await collect(hf.jobs.list({ limit: 1 }));
    expect(all.map((j) => j.id)).toEqual([slow.id, j2.id, job.id]);
    expect((await collect(hf.jobs.list({ status: "canceled" }))).map((j) => j.id)).toEqual([slow.id]);

    await expect(hf.jobs.submit({ kind: "test", input: { cost: 11 } }, { maxCredits: 10 })).rejects.toBeInstanceOf(InsufficientCreditsError);
    await expect(hf.jobs.wait(randomUUID())).rejects.toMatchObject({ status: 404, code: "not_found" });
    const forever = await hf.jobs.submit({ kind: "test", input: { ms: 3000 } });
    await expect(hf.jobs.wait(forever.id, { timeoutMs: 200 })).rejects.toMatchObject({ code: "timeout" });
    await hf.jobs.wait(forever.id);
  });

  it("submit with an idempotency key returns the same job; batches are all or nothing", async () => {
    const { u, hf } = await clientFor(20);
    const key = randomUUID();
    const a = await hf.jobs.submit({ kind: "test", input: { cost: 2 } }, { idempotencyKey: key });
    const b = await hf.jobs.submit({ kind: "test", input: { cost: 2 } }, { idempotencyKey: key });
    expect(b.id).toBe(a.id);
    const batch = await hf.batches.submit([{ kind: "test", input: { cost: 3 } }, { kind: "test", input: { cost: 4 } }]);
    expect(batch.jobs).toHaveLength(2);
    const short = await hf.batches.submit([{ kind: "test", input: { cost: 10 } }, { kind: "test", input: { cost: 10 } }]).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(InsufficientCreditsError);
    expect(short).toMatchObject({ status: 402, code: "insufficient_credits", required: 20, creditType: "standard" });
    await p.final(u.key, batch.jobs[1]!.id);
  });
});

describe("files", () => {
  it("uploads a path and a stream with progress, downloads as a stream and to a path", async () => {
    const { hf } = await clientFor(10);
    const src = path.join(dir, "data.csv");
    const content = Buffer.from("a,b\n1,2\n".repeat(20_000));
    await writeFile(src, content);
    const progress: number[] = [];
    const f = await hf.files.upload(src, { onProgress: ({ bytes, total }) => { progress.push(bytes); expect(total).toBe(content.length); } });
    expect(f).toMatchObject({ name: "data.csv", size_bytes: content.length });
    expect(progress.at(-1)).toBe(content.length);
    const g = await hf.files.upload(Readable.from([Buffer.from("hello "), Buffer.from("stream")]), { name: "s.txt" });
    expect(g.size_bytes).toBe(12);

    const chunks: Buffer[] = [];
    for await (const c of await hf.files.download(g.id)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("hello stream");
    const to = path.join(dir, "back.csv");
    let got = 0;
    await hf.files.download(f.id, { to, onProgress: ({ bytes }) => { got = bytes; } });
    expect((await readFile(to)).equals(content)).toBe(true);
    expect(got).toBe(content.length);
    await expect(hf.files.download(randomUUID())).rejects.toMatchObject({ status: 404 });
  });
});

describe("credits and holds", () => {
  it("balance, check, consume, transactions; holds create/get/list/capture/release", async () => {
    const { hf } = await clientFor(50);
    expect(await hf.credits.balance()).toMatchObject({ available: 50, held: 0, posted: 50, status: "active" });
    expect(await hf.credits.check(50)).toEqual({ affordable: true, available: 50, required: 50 });
    expect(await hf.credits.check(51)).toEqual({ affordable: false, available: 50, required: 51 });
    const c = await hf.credits.consume(5, { description: "one chat" });
    expect(c.transaction).toMatchObject({ type: "consume", amount: 5 });
    expect(c.balance.available).toBe(45);

    const h = await hf.holds.create({ credits: 10, ttlSeconds: 600, description: "work" });
    expect(h).toMatchObject({ status: "pending", credits: { held: 10 } });
    expect((await hf.holds.get(h.id)).status).toBe("pending");
    expect((await hf.holds.capture(h.id, { credits: 4 }))).toMatchObject({ status: "captured", credits: { captured: 4, released: 6 } });
    const r = await hf.holds.create({ credits: 3 });
    expect((await hf.holds.release(r.id)).status).toBe("released");
    expect((await collect(hf.holds.list({ limit: 1 }))).map((x) => x.id)).toEqual([r.id, h.id]);

    const err = await hf.holds.capture(h.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect(err).toMatchObject({ status: 409, code: "invalid_state", details: { status: "captured" } });
    const short = await hf.holds.create({ credits: 1000 }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(InsufficientCreditsError);
    expect(short).toMatchObject({ required: 1000, available: 41, creditType: "standard" });

    // Pages of 2 followed to the end; a capture and its released rest share a timestamp, so compare as a multiset.
    const types = (await collect(hf.credits.transactions({ limit: 2 }))).map((t) => t.type);
    expect(types.sort()).toEqual(["capture", "consume", "grant", "hold", "hold", "release", "release"]);
    expect((await collect(hf.credits.transactions({ type: "capture" })))[0]).toMatchObject({ amount: 4, hold_id: h.id });
    expect(await hf.credits.balance()).toMatchObject({ available: 41, held: 0 });
  });

  it("a service client acts for its userId", async () => {
    const svc = await p.user({ role: "service" });
    const u = await p.user({ credits: 20 });
    const hf = new HoldfastClient({ baseUrl: p.url, apiKey: svc.key, userId: u.id });
    const h = await hf.holds.create({ credits: 5 });
    expect(h.user_id).toBe(u.id);
    await hf.holds.capture(h.id, { credits: 2 });
    await hf.credits.consume(3, { description: "svc" });
    expect(await hf.credits.balance()).toMatchObject({ available: 15 });
    expect((await hf.credits.check(15)).affordable).toBe(true);
    expect((await collect(hf.credits.transactions())).map((t) => t.type)).toContain("consume");
    const userHf = new HoldfastClient({ baseUrl: p.url, apiKey: u.key, userId: svc.id });
    await expect(userHf.credits.balance()).rejects.toMatchObject({ status: 403, code: "forbidden" });
  });
});

describe("limits", () => {
  it("get and update the spend limits; a hold past one is a 402 spend_limit_reached", async () => {
    const { hf } = await clientFor(100);
    expect(await hf.limits.get()).toMatchObject({ daily: null, monthly: null, spent_today: 0 });
    expect(await hf.limits.update({ daily: 10 })).toMatchObject({ daily: 10, monthly: null });
    await hf.credits.consume(8, { description: "x" });
    const err = await hf.holds.create({ credits: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect(err).toMatchObject({ status: 402, code: "spend_limit_reached", details: { period: "day", limit: 10, spent: 8, required: 3 } });
    expect(await hf.limits.get()).toMatchObject({ daily: 10, spent_today: 8, spent_this_month: 8 });
  });
});

describe("retries", () => {
  let proxy: Proxy;
  beforeAll(async () => {
    proxy = await startProxy(p.url);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it("a dropped response is retried with the same Idempotency-Key and charges once", async () => {
    const u = await p.user({ credits: 30 });
    const hf = new HoldfastClient({ baseUrl: proxy.url, apiKey: u.key, retryDelayMs: 20 });
    proxy.faults.push({ match: (r) => r.url === "/api/v1/credits/consume", action: "drop-response" });
    const c = await hf.credits.consume(7, { description: "once" });
    expect(c.balance.available).toBe(23);
    const sent = proxy.seen.filter((s) => s.url === "/api/v1/credits/consume");
    expect(sent).toHaveLength(2);
    expect(sent[0]!.idempotencyKey).toBeTruthy();
    expect(sent[1]!.idempotencyKey).toBe(sent[0]!.idempotencyKey);
    expect((await new HoldfastClient({ baseUrl: p.url, apiKey: u.key }).credits.balance()).available).toBe(23);

    // The same for a hold and its capture.
    proxy.faults.push({ match: (r) => r.url === "/api/v1/holds", action: "drop-response" });
    const h = await hf.holds.create({ credits: 10 });
    proxy.faults.push({ match: (r) => r.url!.endsWith("/capture"), action: "drop-response" });
    expect((await hf.holds.capture(h.id, { credits: 6 })).status).toBe("captured");
    expect(await new HoldfastClient({ baseUrl: p.url, apiKey: u.key }).credits.balance()).toMatchObject({ available: 17, held: 0 });
  });

  it("429 and 503 are retried, honouring Retry-After; maxRetries bounds it", async () => {
    const u = await p.user({ credits: 30 });
    const hf = new HoldfastClient({ baseUrl: proxy.url, apiKey: u.key, retryDelayMs: 20 });
    proxy.faults.push({ match: (r) => r.url === "/api/v1/credits/consume", action: { status: 429, retryAfter: "1" } });
    const t0 = Date.now();
    await hf.credits.consume(1, { description: "after a 429" });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    proxy.faults.push({ match: (r) => r.url === "/api/v1/credits/balance", action: { status: 503 } });
    expect((await hf.credits.balance()).available).toBe(29);

    const none = new HoldfastClient({ baseUrl: proxy.url, apiKey: u.key, maxRetries: 0 });
    proxy.faults.push({ match: (r) => r.url === "/api/v1/credits/balance", action: { status: 503 } });
    await expect(none.credits.balance()).rejects.toMatchObject({ status: 503, code: "unavailable" });
    // A feature the server is not configured for (no AI provider, no Stripe): retrying cannot help.
    const seenBefore = proxy.seen.length;
    proxy.faults.push({ match: (r) => r.url === "/api/v1/credits/balance", action: { status: 503, details: { reason: "not_configured", setting: "AI_BASE_URL" } } });
    await expect(hf.credits.balance()).rejects.toMatchObject({ status: 503, code: "unavailable", details: { reason: "not_configured" } });
    expect(proxy.seen.length - seenBefore).toBe(1);
    const down = new HoldfastClient({ baseUrl: "http://127.0.0.1:9", apiKey: u.key, maxRetries: 1, retryDelayMs: 10 });
    await expect(down.credits.balance()).rejects.toMatchObject({ status: 0, code: "network_error" });
  });

  it("an unknown key is a HoldfastError 401 with the API's code", async () => {
    const hf = new HoldfastClient({ baseUrl: p.url, apiKey: "hf_nope" });
    await expect(hf.credits.balance()).rejects.toMatchObject({ name: "HoldfastError", status: 401, code: "unauthenticated", requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });
});
