/**
 * The ai kind against a fake OpenAI-compatible server on loopback (the real
 * `openai` client runs): metering by characters, streaming progress, and
 * whose fault each provider failure is.
 *
 * Prices (pricing.ts): 1 credit per started 100 characters sent, 2 per
 * started 100 generated; the hold assumes 6 characters per max_token.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, fakeAnswer, startFakeOpenAI } from "../helpers/fake-openai";
import { waitFor } from "../helpers/platform";
import { jobCount, type KindsPlatform, startKindsPlatform } from "./setup";

let fake: FakeOpenAI;
let p: KindsPlatform;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  p = await startKindsPlatform({ env: { AI_BASE_URL: fake.url, AI_API_KEY: "sk-test-123", AI_MODEL: "fake-model", AI_TIMEOUT_MS: "3000" } });
});
afterAll(async () => {
  await p?.close();
  await fake?.close();
});

/** A prompt of exactly `chars` characters carrying fake-server directives and a unique tag. */
function prompt(directives: string, chars = 90): { text: string; tag: string } {
  const tag = `#${randomUUID().slice(0, 8)}`;
  const head = `${directives} ${tag} `;
  return { text: head + "q".repeat(chars - head.length), tag };
}

const submit = (key: string, input: unknown) => p.api(key, "POST", "/api/v1/jobs", { kind: "ai", input });

describe("success", () => {
  it("streams a completion and charges the characters sent and generated", async () => {
    const u = await p.user({ credits: 100 });
    const q = prompt("[fake:ok] [len:250]", 90);
    const sub = await submit(u.key, { prompt: q.text, max_tokens: 100 });
    expect(sub.status).toBe(202);
    // hold: 90 sent → 1; at most 100 × 6 = 600 generated → 6 × 2 = 12
    expect(sub.body.credits.estimated).toBe(13);
    const job = await p.final(u.key, sub.body.id);
    // charge: 90 sent → 1; 250 generated → 3 started hundreds × 2 = 6
    expect(job).toMatchObject({
      status: "succeeded", attempts: 1,
      credits: { estimated: 13, charged: 7, refunded: 6, held: 0 },
      result: { text: fakeAnswer(250), model: "fake-model", finish_reason: "stop", characters: { input: 90, output: 250 } },
    });
    expect(job.result.usage).toEqual({ prompt_tokens: 23, completion_tokens: 63, total_tokens: 86 });
    expect(await p.balance(u.id)).toEqual({ available: 93, held: 0, posted: 93 });

    const [req] = fake.requestsFor(q.tag);
    expect(req).toMatchObject({
      path: "/v1/chat/completions", authorization: "Bearer sk-test-123",
      body: { model: "fake-model", max_tokens: 100, stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: q.text }] },
    });
  });

  it("takes messages and a model, counting every message's characters", async () => {
    const u = await p.user({ credits: 100 });
    const q = prompt("[fake:ok] [len:40]", 120);
    const messages = [{ role: "system", content: "s".repeat(150) }, { role: "user", content: q.text }];
    const job = await p.final(u.key, (await submit(u.key, { messages, model: "other-model", max_tokens: 20 })).body.id);
    // 270 sent → 3; 40 generated → 2
    expect(job).toMatchObject({ status: "succeeded", credits: { charged: 5 }, result: { model: "other-model", characters: { input: 270, output: 40 } } });
    expect(fake.requestsFor(q.tag)[0]!.body.model).toBe("other-model");
  });

  it("reads a provider that answers with plain JSON instead of a stream", async () => {
    const u = await p.user({ credits: 100 });
    const job = await p.final(u.key, (await submit(u.key, { prompt: prompt("[fake:json] [len:330]").text, max_tokens: 200 })).body.id);
    expect(job).toMatchObject({ status: "succeeded", credits: { charged: 1 + 8 }, result: { text: fakeAnswer(330), finish_reason: "stop" } });
  });

  it("cuts an answer that runs past what the hold pays for", async () => {
    const u = await p.user({ credits: 100 });
    const sub = await submit(u.key, { prompt: prompt("[fake:ok] [len:500] [ignore-max]").text, max_tokens: 10 });
    // hold: 1 + (60 chars → 1 × 2) = 3
    expect(sub.body.credits.estimated).toBe(3);
    const job = await p.final(u.key, sub.body.id);
    expect(job).toMatchObject({ status: "succeeded", credits: { charged: 3, refunded: 0 }, result: { finish_reason: "length", characters: { output: 60 } } });
    expect(job.result.text).toBe(fakeAnswer(60));
  });

  it("reports progress while the answer streams", async () => {
    const u = await p.user({ credits: 100 });
    const sub = await submit(u.key, { prompt: prompt("[fake:slow] [len:150]").text, max_tokens: 50 });
    const mid = await waitFor(async () => {
      const r = await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`);
      return r.body.status === "running" && r.body.progress > 0 ? r.body : null;
    }, { intervalMs: 50, what: "streaming progress" });
    expect(mid.progress).toBeLessThan(100);
    expect(await p.final(u.key, sub.body.id)).toMatchObject({ status: "succeeded", progress: 100 });
  });
});

describe("failures", () => {
  it("content refused by the provider is the user's failure: charged the characters sent, not retried", async () => {
    const u = await p.user({ credits: 100 });
    const q = prompt("[fake:content-policy]", 250);
    const job = await p.final(u.key, (await submit(u.key, { prompt: q.text, max_tokens: 100 })).body.id);
    expect(job).toMatchObject({ status: "failed", attempts: 1, error: { type: "user" }, credits: { estimated: 15, charged: 3, refunded: 12 } });
    expect(job.error.message).toMatch(/refused the request \(400\).*safety system/);
    expect(fake.requestsFor(q.tag)).toHaveLength(1);
  });

  it.each([
    ["429", /failed \(429\).*Rate limit/],
    ["500", /failed \(500\)/],
    ["malformed", /malformed/],
    ["malformed-json", /malformed/],
    ["stream-error", /overloaded/],
  ])("%s from the provider is a platform failure: retried with backoff, then refunded", async (mode, message) => {
    const u = await p.user({ credits: 100 });
    const q = prompt(`[fake:${mode}] [len:200]`);
    const job = await p.final(u.key, (await submit(u.key, { prompt: q.text, max_tokens: 100 })).body.id);
    expect(job).toMatchObject({ status: "failed", attempts: 3, error: { type: "system" }, credits: { estimated: 13, charged: 0, refunded: 13 } });
    expect(job.error.message).toMatch(message);
    expect(fake.requestsFor(q.tag)).toHaveLength(3);
    expect(await p.balance(u.id)).toEqual({ available: 100, held: 0, posted: 100 });
  });

  it("a provider error that clears up is retried and then charged normally", async () => {
    const u = await p.user({ credits: 100 });
    const q = prompt("[fake:500-once] [len:100]");
    const job = await p.final(u.key, (await submit(u.key, { prompt: q.text, max_tokens: 100 })).body.id);
    expect(job).toMatchObject({ status: "succeeded", attempts: 2, credits: { charged: 1 + 2 } });
    expect(fake.requestsFor(q.tag)).toHaveLength(2);
  });

  it("a stream slower than the time limit is stopped, refunded and not retried", async () => {
    const u = await p.user({ credits: 100 });
    const q = prompt("[fake:slow] [len:900]");
    const job = await p.final(u.key, (await submit(u.key, { prompt: q.text, max_tokens: 300 })).body.id);
    expect(job).toMatchObject({ status: "failed", attempts: 1, error: { type: "system" }, credits: { charged: 0, held: 0 } });
    expect(job.error.message).toMatch(/3000 ms time limit/);
    expect(fake.requestsFor(q.tag)).toHaveLength(1);
  });
});

describe("validation at submit (400, nothing held, nothing sent)", () => {
  it.each([
    [{ prompt: "hi", messages: [{ role: "user", content: "hi" }] }, "input.prompt"],
    [{}, "input.prompt"],
    [{ prompt: "" }, "input.prompt"],
    [{ prompt: "hi", max_tokens: 0 }, "input.max_tokens"],
    [{ prompt: "hi", max_tokens: 100_000 }, "input.max_tokens"],
    [{ messages: [{ role: "tool", content: "hi" }] }, "input.messages.0.role"],
    [{ prompt: "hi", model: "gpt; rm -rf /" }, "input.model"],
    [{ prompt: "hi", temperature: 2 }, "input"],
  ])("refuses %j (%s)", async (input, path) => {
    const u = await p.user({ credits: 100 });
    const before = fake.requests.length;
    const r = await submit(u.key, input);
    expect(r.status).toBe(400);
    expect(r.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect(await p.balance(u.id)).toEqual({ available: 100, held: 0, posted: 100 });
    expect(await jobCount(p, u.id)).toBe(0);
    expect(fake.requests.length).toBe(before);
  });

  it("refuses a hold larger than the balance with 402", async () => {
    const u = await p.user({ credits: 10 });
    const r = await submit(u.key, { prompt: "hi", max_tokens: 1000 });
    expect(r.status).toBe(402);
    expect(r.body.error.details).toMatchObject({ required: 1 + 120, available: 10 });
    expect(await jobCount(p, u.id)).toBe(0);
  });
});

describe("without AI_BASE_URL", () => {
  let bare: KindsPlatform;
  beforeAll(async () => {
    bare = await startKindsPlatform({ env: { AI_BASE_URL: "" }, worker: false });
  });
  afterAll(async () => {
    await bare?.close();
  });

  it("answers 503 unavailable to estimates and submits, and holds nothing", async () => {
    const u = await bare.user({ credits: 100 });
    const est = await bare.api(u.key, "POST", "/api/v1/estimates", { kind: "ai", input: { prompt: "hi" } });
    expect(est.status).toBe(503);
    expect(est.body.error.code).toBe("unavailable");
    const sub = await bare.api(u.key, "POST", "/api/v1/jobs", { kind: "ai", input: { prompt: "hi" } });
    expect(sub.status).toBe(503);
    expect(sub.body.error.message).toMatch(/AI_BASE_URL/);
    // Not an outage: the details say what is missing, and no Retry-After invites a retry that cannot help.
    for (const r of [est, sub]) {
      expect(r.body.error.details).toEqual({ reason: "not_configured", setting: "AI_BASE_URL" });
      expect(r.headers.get("retry-after")).toBeNull();
    }
    expect(await bare.balance(u.id)).toEqual({ available: 100, held: 0, posted: 100 });
    expect(await jobCount(bare, u.id)).toBe(0);
  });
});
