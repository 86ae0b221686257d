/**
 * Submissions are batched across users into one statement (src/jobs/service.ts
 * submitJobs). One item's failure must stay that item's: a user's input the
 * database could not store is refused as a 400 before it is batched, and an
 * item that makes the statement fail anyway (here a kind with a broken
 * timeout, a platform bug) fails alone while the batch's other submissions
 * are written one by one.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import type { JobKind } from "../../src/jobs/kind";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";

const textKind: JobKind<{ text: string }, null> = {
  name: "text",
  description: "Takes a string.",
  input: z.object({ text: z.string().max(1000) }).strict(),
  estimate: () => ({ credits: 1, breakdown: [{ item: "text", credits: 1 }] }),
  run: async () => ({ result: null, usage: 1 }),
  timeoutMs: () => 1000,
  onUserFailure: "none",
};

// A platform bug: a timeout that does not fit the jobs table's integer column.
const brokenKind: JobKind<Record<string, never>, null> = {
  name: "broken",
  description: "Its timeout is out of range for the database.",
  input: z.object({}).strict(),
  estimate: () => ({ credits: 1, breakdown: [{ item: "broken", credits: 1 }] }),
  run: async () => ({ result: null, usage: 1 }),
  timeoutMs: () => 2 ** 40,
  onUserFailure: "none",
};

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds().register(textKind).register(brokenKind), worker: false, env: { RATE_LIMIT_PER_MINUTE: "0" } });
});
afterAll(async () => {
  await p?.close();
});

it("input the database cannot store (U+0000) is a 400 that holds nothing, and other users' submissions are unaffected", async () => {
  const alice = await p.user({ credits: 100 });
  const mallory = await p.user({ credits: 100 });
  const send = (key: string, text: string) => p.api(key, "POST", "/api/v1/jobs", { kind: "text", input: { text } });
  const aliceCalls: Promise<{ status: number }>[] = [];
  for (let i = 0; i < 20; i++) aliceCalls.push(send(alice.key, `hello ${i}`));
  const bad = send(mallory.key, "a\u0000b");
  for (let i = 20; i < 40; i++) aliceCalls.push(send(alice.key, `hello ${i}`));
  const replies = await Promise.all(aliceCalls);
  const badReply = await bad;
  expect(badReply.status).toBe(400);
  expect((badReply as unknown as { body: { error: { code: string } } }).body.error.code).toBe("invalid_request");
  const counts = replies.reduce<Record<number, number>>((c, r) => ({ ...c, [r.status]: (c[r.status] ?? 0) + 1 }), {});
  expect(counts).toEqual({ 202: 40 });
  const balance = await p.api(mallory.key, "GET", "/api/v1/credits/balance");
  expect(balance.body).toMatchObject({ available: 100, held: 0 });
});

it("an item that makes the batch's statement fail fails alone; the others in its batch are written", async () => {
  const alice = await p.user({ credits: 100 });
  const bob = await p.user({ credits: 100 });
  const send = (key: string, kind: string, input: unknown) => p.api(key, "POST", "/api/v1/jobs", { kind, input });
  const calls: Promise<{ status: number }>[] = [];
  for (let i = 0; i < 15; i++) calls.push(send(alice.key, "text", { text: `a${i}` }));
  const broken = send(bob.key, "broken", {});
  for (let i = 0; i < 15; i++) calls.push(send(bob.key, "text", { text: `b${i}` }));
  const replies = await Promise.all(calls);
  const brokenReply = await broken;
  expect(brokenReply.status).toBe(500);
  const counts = replies.reduce<Record<number, number>>((c, r) => ({ ...c, [r.status]: (c[r.status] ?? 0) + 1 }), {});
  expect(counts).toEqual({ 202: 30 });
  // Exactly the 15 accepted jobs each are held; the broken one held nothing.
  expect((await p.api(alice.key, "GET", "/api/v1/credits/balance")).body).toMatchObject({ available: 85, held: 15 });
  expect((await p.api(bob.key, "GET", "/api/v1/credits/balance")).body).toMatchObject({ available: 85, held: 15 });
});
