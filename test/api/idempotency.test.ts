/**
 * Idempotency-Key on POST /jobs: a replay returns the same job and holds
 * nothing more — also when the duplicates arrive at the same moment — and
 * the same key with a different body is 409 idempotency_conflict.
 * The worker is off so every hold stays visible.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as ledger from "../../src/ledger";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";
import { expectError, ledgerState } from "./support";

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { RATE_LIMIT_PER_MINUTE: "0" } });
});
afterAll(async () => {
  await p?.close();
});

const body = { kind: "test", input: { cost: 7 } };

it("a sequential replay returns the same job, marked Idempotent-Replayed, and holds once", async () => {
  const u = await p.user({ credits: 100 });
  const key = randomUUID();
  const first = await p.api(u.key, "POST", "/api/v1/jobs", body, { "Idempotency-Key": key });
  expect(first.status).toBe(202);
  expect(first.headers.get("idempotent-replayed")).toBeNull();
  // Same body with its keys in another order is the same request.
  const again = await p.api(u.key, "POST", "/api/v1/jobs", { input: { cost: 7 }, kind: "test" }, { "Idempotency-Key": key });
  expect(again.status).toBe(202);
  expect(again.headers.get("idempotent-replayed")).toBe("true");
  expect(again.body).toEqual(first.body);
  expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 1, pending_holds: 1, hold_transfers: 1, held: 7, posted: 100 });

  const other = await p.api(u.key, "POST", "/api/v1/jobs", body, { "Idempotency-Key": randomUUID() });
  expect(other.status).toBe(202);
  expect(other.body.id).not.toBe(first.body.id);
  const plain = await p.api(u.key, "POST", "/api/v1/jobs", body);
  expect(plain.body.id).not.toBe(first.body.id);
  expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 3, pending_holds: 3, held: 21 });
});

it("10 identical requests at the same moment: one job, one hold", async () => {
  const u = await p.user({ credits: 100 });
  const key = randomUUID();
  const replies = await Promise.all(Array.from({ length: 10 }, () => p.api(u.key, "POST", "/api/v1/jobs", body, { "Idempotency-Key": key })));
  expect(replies.map((r) => r.status)).toEqual(Array(10).fill(202));
  expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
  expect(replies.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(9);
  expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 1, pending_holds: 1, hold_transfers: 1, held: 7 });
});

it("the same key with a different body is 409 idempotency_conflict and holds nothing more", async () => {
  const u = await p.user({ credits: 100 });
  const key = randomUUID();
  expect((await p.api(u.key, "POST", "/api/v1/jobs", body, { "Idempotency-Key": key })).status).toBe(202);
  for (const changed of [{ kind: "test", input: { cost: 8 } }, { ...body, max_credits: 50 }]) {
    const r = await p.api(u.key, "POST", "/api/v1/jobs", changed, { "Idempotency-Key": key });
    expectError(r, 409, "idempotency_conflict");
  }
  expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 1, pending_holds: 1, held: 7 });
});

it("keys are per user: another user's identical key is a different request", async () => {
  const a = await p.user({ credits: 10 });
  const b = await p.user({ credits: 10 });
  const key = randomUUID();
  const ra = await p.api(a.key, "POST", "/api/v1/jobs", body, { "Idempotency-Key": key });
  const rb = await p.api(b.key, "POST", "/api/v1/jobs", body, { "Idempotency-Key": key });
  expect([ra.status, rb.status]).toEqual([202, 202]);
  expect(ra.body.id).not.toBe(rb.body.id);
  expect(rb.headers.get("idempotent-replayed")).toBeNull();
});

it("a refused request does not use up its key: the same key succeeds once the balance allows", async () => {
  const u = await p.user({ credits: 3 });
  const key = randomUUID();
  expectError(await p.api(u.key, "POST", "/api/v1/jobs", body, { "Idempotency-Key": key }), 402, "insufficient_credits");
  await ledger.grant(p.ctx.ds.manager, { id: randomUUID(), userId: u.id, amount: 10, category: "admin" });
  const ok = await p.api(u.key, "POST", "/api/v1/jobs", body, { "Idempotency-Key": key });
  expect(ok.status).toBe(202);
  expect(ok.headers.get("idempotent-replayed")).toBeNull();
  expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 1, pending_holds: 1, held: 7, posted: 13 });
});
