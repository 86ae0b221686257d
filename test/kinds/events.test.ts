/** GET /api/v1/jobs/:id/events: server-sent progress and status until the job is final. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { jobChannel } from "../../src/jobs/events";
import { settleJob } from "../../src/jobs/store";
import { waitFor } from "../helpers/platform";
import { type Json, type KindsPlatform, startKindsPlatform } from "./setup";

let p: KindsPlatform;
beforeAll(async () => {
  p = await startKindsPlatform();
});
afterAll(async () => {
  await p?.close();
});

interface Sse {
  event: string;
  data: Json;
}

/** Open the stream and collect its events until the server ends it (or `stopWhen` says so). */
async function collect(key: string, jobId: string, opts: { timeoutMs?: number; signal?: AbortSignal; onEvent?: (e: Sse) => void } = {}) {
  const res = await fetch(`${p.url}/api/v1/jobs/${jobId}/events`, { headers: { authorization: `Bearer ${key}` }, signal: opts.signal ?? AbortSignal.timeout(opts.timeoutMs ?? 20_000) });
  const events: Sse[] = [];
  if (res.status !== 200) return { res, events, body: (await res.json()) as Json };
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n\n")) !== -1) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) {
        const e = { event, data: JSON.parse(data) };
        events.push(e);
        opts.onEvent?.(e);
      }
    }
  }
  return { res, events, body: null as Json };
}

const sleepJob = (key: string, seconds: number) =>
  p.api(key, "POST", "/api/v1/jobs", { kind: "script", input: { script: "sleep", parameters: { seconds } } });

it("streams progress from the sleep script and ends at the final status", async () => {
  const u = await p.user({ credits: 100 });
  const sub = await sleepJob(u.key, 3);
  const { res, events } = await collect(u.key, sub.body.id);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  expect(events[0]).toMatchObject({ event: "job", data: { id: sub.body.id } });
  const progress = events.filter((e) => e.event === "progress").map((e) => e.data.progress);
  expect(progress).toEqual(expect.arrayContaining([33, 66]));
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
  const statuses = events.filter((e) => e.event === "status").map((e) => e.data.status);
  expect(statuses.at(-1)).toBe("succeeded");
  // The stream ended on its own, right after the final job.
  expect(events.at(-1)).toMatchObject({ event: "job", data: { status: "succeeded", progress: 100, credits: { charged: 2, held: 0 } } });
});

it("for a job that is already final, sends it once and ends", async () => {
  const u = await p.user({ credits: 100 });
  const sub = await sleepJob(u.key, 0);
  await p.final(u.key, sub.body.id);
  const { events } = await collect(u.key, sub.body.id, { timeoutMs: 5000 });
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ event: "job", data: { status: "succeeded" } });
});

it("answers 404 (as JSON, no stream) for another user's job", async () => {
  const owner = await p.user({ credits: 100 });
  const other = await p.user();
  const sub = await sleepJob(owner.key, 0);
  const r = await collect(other.key, sub.body.id);
  expect(r.res.status).toBe(404);
  expect(r.body.error.code).toBe("not_found");
});

it("stops watching when the client goes away", async () => {
  const u = await p.user({ credits: 100 });
  const sub = await sleepJob(u.key, 20);
  const channel = jobChannel(p.ctx.config.QUEUE_PREFIX, sub.body.id);
  const subscribers = async () => Number(((await p.ctx.redis.pubsub("NUMSUB", channel)) as [string, number])[1]);
  const ac = new AbortController();
  const reading = collect(u.key, sub.body.id, { signal: ac.signal, onEvent: () => undefined }).catch(() => null);
  await waitFor(async () => (await subscribers()) === 1, { what: "the stream to subscribe" });
  ac.abort();
  await reading;
  await waitFor(async () => (await subscribers()) === 0, { what: "the subscription to end" });
  await p.api(u.key, "POST", `/api/v1/jobs/${sub.body.id}/cancel`);
});

it("still ends when the final status change was never published (the row is polled)", async () => {
  const u = await p.user({ credits: 100 });
  const sub = await sleepJob(u.key, 5);
  const t0 = Date.now();
  const reading = collect(u.key, sub.body.id);
  await waitFor(async () => (await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`)).body.status === "running", { what: "running" });
  // Finish it behind everyone's back: no pub/sub event, and the worker's own finish is fenced out.
  await settleJob(p.ctx.ds, { jobId: sub.body.id, attempt: null, from: ["running"], status: "canceled", charge: 0, releaseType: "release" });
  const { events } = await reading;
  expect(events.at(-1)).toMatchObject({ event: "job", data: { status: "canceled" } });
  expect(Date.now() - t0).toBeLessThan(4500);
});
