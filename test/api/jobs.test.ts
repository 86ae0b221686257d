/**
 * The jobs API over real HTTP: the happy path end to end with the ledger
 * history, and every way a request can be refused — each refusal a clear
 * 4xx in the error envelope that changes nothing.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { JobKind } from "../../src/jobs/kind";
import * as ledger from "../../src/ledger";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { expectError, issuePaths, ledgerState } from "./support";

let p: Platform;
const BODY_LIMIT = 4096;

/** A kind whose pricing fails with a bug of ours: the reply must be a bare 500, nothing leaked. */
const explodingKind: JobKind<Record<string, never>, null> = {
  name: "explode",
  description: "Fails while pricing.",
  input: z.object({}).strict(),
  estimate: () => {
    throw new TypeError("secret detail at /work/main/src/jobs/x.ts:12:3");
  },
  run: async () => ({ result: null, usage: 0 }),
  timeoutMs: () => 1000,
  onUserFailure: "none",
};

beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds().register(explodingKind), env: { JSON_BODY_LIMIT_BYTES: String(BODY_LIMIT), RATE_LIMIT_PER_MINUTE: "0" } });
});
afterAll(async () => {
  await p?.close();
});

const jobUrl = (id: string) => `/api/v1/jobs/${id}`;

describe("submit → run → settle", () => {
  it("holds the estimate, charges what was used, releases the rest, and shows it all in the history", async () => {
    const u = await p.user({ credits: 10 });
    const est = await p.api(u.key, "POST", "/api/v1/estimates", { kind: "test", input: { cost: 4 } });
    expect(est.status).toBe(200);
    expect(est.body).toEqual({ kind: "test", credits: 4, credit_type: "standard", breakdown: [{ item: "test run", credits: 4 }] });
    expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 0, pending_holds: 0, held: 0 });

    const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 4, use: 3, ms: 600 } });
    expect(sub.status).toBe(202);
    expect(sub.headers.get("idempotent-replayed")).toBeNull();
    expect(sub.body).toMatchObject({
      kind: "test", status: "queued", progress: 0, input: { cost: 4, use: 3, ms: 600 },
      credits: { estimated: 4, held: 4, charged: 0, refunded: 0 }, result: null, error: null, attempts: 0, finished_at: null,
    });
    const id: string = sub.body.id;

    const during = await p.api(u.key, "GET", "/api/v1/credits/balance");
    expect(during.body).toMatchObject({ available: 6, held: 4, posted: 10, status: "active" });

    const done = await waitFor(async () => {
      const r = await p.api(u.key, "GET", jobUrl(id));
      return r.body.status === "succeeded" ? r.body : null;
    });
    expect(done).toMatchObject({ status: "succeeded", progress: 100, attempts: 1, credits: { estimated: 4, held: 0, charged: 3, refunded: 1 }, result: { echoed: true } });
    expect(Date.parse(done.finished_at)).toBeGreaterThanOrEqual(Date.parse(done.started_at));

    const bal = await p.api(u.key, "GET", "/api/v1/credits/balance");
    expect(bal.body).toMatchObject({ credit_type: "standard", available: 7, held: 0, posted: 7 });

    const tx = await p.api(u.key, "GET", `/api/v1/credits/transactions?job_id=${id}`);
    expect(tx.status).toBe(200);
    const rows = tx.body.data.map((t: { type: string; amount: number; job_id: string; credit_type: string }) => ({ type: t.type, amount: t.amount, job_id: t.job_id, credit_type: t.credit_type }));
    expect(rows.sort((a: { type: string }, b: { type: string }) => a.type.localeCompare(b.type))).toEqual([
      { type: "charge", amount: 3, job_id: id, credit_type: "standard" },
      { type: "hold", amount: 4, job_id: id, credit_type: "standard" },
      { type: "release", amount: 1, job_id: id, credit_type: "standard" },
    ]);
    const all = await p.api(u.key, "GET", "/api/v1/credits/transactions");
    expect(all.body.data.map((t: { type: string }) => t.type)).toContain("grant");

    const list = await p.api(u.key, "GET", "/api/v1/jobs?status=succeeded&kind=test");
    expect(list.status).toBe(200);
    expect(list.body.data.map((j: { id: string }) => j.id)).toEqual([id]);
    expect(list.body.next_cursor).toBeNull();
    const none = await p.api(u.key, "GET", "/api/v1/jobs?status=queued");
    expect(none.body.data).toEqual([]);
  });

  it("charges max_credits-capped and admin-priced jobs correctly", async () => {
    const u = await p.user({ credits: 10 });
    const capped = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5 }, max_credits: 5 });
    expect(capped.status).toBe(202);
    expect(capped.body.credits.estimated).toBe(5);

    const admin = await p.user({ credits: 10, role: "admin" });
    const priced = await p.api(admin.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5, use: 5 }, credit_amount: 2 });
    expect(priced.status).toBe(202);
    expect(priced.body.credits).toEqual({ estimated: 2, held: 2, charged: 0, refunded: 0 });
    const done = await waitFor(async () => {
      const r = await p.api(admin.key, "GET", jobUrl(priced.body.id));
      return r.body.status === "succeeded" ? r.body : null;
    });
    // Used 5, but the override capped the hold at 2: never charged above the hold.
    expect(done.credits).toEqual({ estimated: 2, held: 0, charged: 2, refunded: 0 });
    expect(await ledgerState(p, admin.id)).toMatchObject({ posted: 8, held: 0 });
  });
});

describe("402 insufficient_credits changes nothing", () => {
  it("refuses a job the balance cannot cover, with required/available/credit_type", async () => {
    const u = await p.user({ credits: 2 });
    const before = await ledgerState(p, u.id);
    const r = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5 } });
    expectError(r, 402, "insufficient_credits");
    expect(r.body.error.details).toEqual({ required: 5, available: 2, credit_type: "standard" });
    expect(await ledgerState(p, u.id)).toEqual(before);
    expect(before).toMatchObject({ jobs: 0, pending_holds: 0, hold_transfers: 0, posted: 2, held: 0 });
    const bal = await p.api(u.key, "GET", "/api/v1/credits/balance");
    expect(bal.body).toMatchObject({ available: 2, held: 0, posted: 2 });
  });

  it("refuses a job estimated above max_credits even when the balance would cover it", async () => {
    const u = await p.user({ credits: 50 });
    const r = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5 }, max_credits: 4 });
    expectError(r, 402, "insufficient_credits");
    expect(r.body.error.details).toMatchObject({ required: 5, credit_type: "standard", max_credits: 4 });
    expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 0, pending_holds: 0, held: 0, posted: 50 });
  });

  it("a user with no account yet gets 402, and can submit once credited", async () => {
    const u = await p.user({ credits: 0 });
    const r = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 3 } });
    expectError(r, 402, "insufficient_credits");
    expect(r.body.error.details).toEqual({ required: 3, available: 0, credit_type: "standard" });
    expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 0, pending_holds: 0 });
    // The refused submission must not leave a stale (rolled back) account behind.
    await ledger.grant(p.ctx.ds.manager, { id: randomUUID(), userId: u.id, amount: 5, category: "admin" });
    const ok = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 3 } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
  });
});

describe("400 invalid_request for bad input, nothing held", () => {
  let u: { id: string; key: string };
  beforeAll(async () => {
    u = await p.user({ credits: 100 });
  });
  const submit = (body: unknown, headers?: Record<string, string>) => p.api(u.key, "POST", "/api/v1/jobs", body, headers);

  it("malformed JSON", async () => {
    const r = await submit('{"kind": "test", "input": {', { "content-type": "application/json" });
    expectError(r, 400, "invalid_request");
    expect(r.body.error.message).toMatch(/JSON/);
  });

  it("a JSON body that is not an object", async () => {
    for (const body of ["[1, 2]", "null", '"text"', "42"]) {
      expectError(await submit(body, { "content-type": "application/json" }), 400, "invalid_request");
    }
  });

  it("missing body, and a body that is not JSON at all", async () => {
    const replies = [
      await p.api(u.key, "POST", "/api/v1/jobs"),
      await submit("kind=test", { "content-type": "application/x-www-form-urlencoded" }),
      // What `curl -d '{…}'` without -H 'Content-Type: application/json' sends: the message says what to fix.
      await submit('{"kind":"test","input":{}}', { "content-type": "application/x-www-form-urlencoded" }),
      await submit('{"kind":"test","input":{}}', { "content-type": "text/plain" }),
    ];
    for (const r of replies) {
      expectError(r, 400, "invalid_request");
      expect(r.body.error.message).toContain("Content-Type: application/json");
      expect(r.body.error.details.issues).toEqual([{ path: "", message: "expected a JSON object" }]);
    }
  });

  it("a body the parser cannot read (charset, encoding) and a malformed URI", async () => {
    expectError(await submit('{"kind":"test","input":{}}', { "content-type": "application/json; charset=latin1" }), 400, "invalid_request");
    expectError(await submit('{"kind":"test","input":{}}', { "content-type": "application/json", "content-encoding": "zstd-ish" }), 400, "invalid_request");
    expectError(await p.api(u.key, "GET", "/api/v1/jobs/%E0%A4%A"), 400, "invalid_request");
  });

  it("unknown kind names the field", async () => {
    const r = await submit({ kind: "nope", input: {} });
    expectError(r, 400, "invalid_request");
    expect(issuePaths(r)).toEqual(["kind"]);
    expect(r.body.error.message).toMatch(/nope/);
  });

  it("input failing the kind's schema lists the field path", async () => {
    const r = await submit({ kind: "test", input: { cost: -1, fail: "sometimes" } });
    expectError(r, 400, "invalid_request");
    expect(issuePaths(r).sort()).toEqual(["input.cost", "input.fail"]);
    const missing = await submit({ kind: "test" });
    expectError(missing, 400, "invalid_request");
    expect(issuePaths(missing)).toEqual(["input"]);
    expect(missing.body.error.details.issues[0].message).toBe("is required");
    const noKind = await submit({ input: {} });
    expect(noKind.body.error.details.issues).toEqual([{ path: "kind", message: "is required (string)" }]);
  });

  it("negative, zero, fractional, non-numeric and huge max_credits", async () => {
    for (const max_credits of [-1, 0, 2.5, "5", 2 ** 60]) {
      const r = await submit({ kind: "test", input: {}, max_credits });
      expectError(r, 400, "invalid_request");
      expect([...new Set(issuePaths(r))]).toEqual(["max_credits"]);
    }
  });

  it("unknown top-level fields", async () => {
    const r = await submit({ kind: "test", input: {}, priority: "high" });
    expectError(r, 400, "invalid_request");
  });

  it("a body over JSON_BODY_LIMIT_BYTES is 413 payload_too_large", async () => {
    const r = await submit({ kind: "test", input: { pad: "x".repeat(BODY_LIMIT * 2) } });
    expectError(r, 413, "payload_too_large");
    expect(r.body.error.details).toEqual({ max_bytes: BODY_LIMIT });
    expect(r.body.error.message).toContain(`at most ${BODY_LIMIT} bytes`);
  });

  it("a bad Idempotency-Key", async () => {
    const r = await submit({ kind: "test", input: {} }, { "Idempotency-Key": "k".repeat(256) });
    expectError(r, 400, "invalid_request");
    expect(issuePaths(r)).toEqual(["Idempotency-Key"]);
  });

  it("bad list queries", async () => {
    for (const q of ["status=done", "limit=0", "limit=201", "limit=abc", "cursor=not-a-cursor", "status[]=queued"]) {
      expectError(await p.api(u.key, "GET", `/api/v1/jobs?${q}`), 400, "invalid_request");
    }
  });

  it("none of it held or created anything", async () => {
    expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 0, pending_holds: 0, hold_transfers: 0, held: 0, posted: 100 });
  });
});

describe("500 internal", () => {
  it("a bug of ours is a bare 500 in the envelope: no message, no stack, nothing held", async () => {
    const u = await p.user({ credits: 10 });
    for (const path of ["/api/v1/estimates", "/api/v1/jobs"]) {
      const r = await p.api(u.key, "POST", path, { kind: "explode", input: {} });
      expectError(r, 500, "internal");
      expect(JSON.stringify(r.body)).not.toMatch(/secret|TypeError/);
      expect(r.body.error.details).toEqual({});
    }
    expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 0, pending_holds: 0, posted: 10 });
  });
});

describe("401 unauthenticated", () => {
  it("no key, unknown key, malformed header", async () => {
    expectError(await p.api(null, "POST", "/api/v1/jobs", { kind: "test", input: {} }), 401, "unauthenticated");
    expectError(await p.api("hf_unknown", "GET", "/api/v1/jobs"), 401, "unauthenticated");
    for (const authorization of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "hf_abc", ""]) {
      expectError(await p.api(null, "GET", "/api/v1/credits/balance", undefined, { authorization }), 401, "unauthenticated");
    }
  });

  it("a revoked key", async () => {
    const u = await p.user();
    await p.ctx.ds.query(`UPDATE api_keys SET revoked_at = now() WHERE user_id = $1`, [u.id]);
    expectError(await p.api(u.key, "GET", "/api/v1/jobs"), 401, "unauthenticated");
  });
});

describe("403 forbidden", () => {
  it("a user calling admin routes", async () => {
    const u = await p.user({ credits: 10 });
    expectError(await p.api(u.key, "GET", "/api/v1/admin/users"), 403, "forbidden");
    expectError(await p.api(u.key, "POST", "/api/v1/admin/credits/add", { user_id: u.id, amount: 100, description: "me" }), 403, "forbidden");
    expect(await ledgerState(p, u.id)).toMatchObject({ posted: 10 });
  });

  it("a non-admin setting credit_amount, nothing held", async () => {
    const u = await p.user({ credits: 10 });
    const r = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 5 }, credit_amount: 1 });
    expectError(r, 403, "forbidden");
    expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 0, pending_holds: 0, held: 0 });
  });
});

describe("404 not_found", () => {
  it("another user's job looks exactly like a missing one, and cannot be cancelled", async () => {
    const owner = await p.user({ credits: 10 });
    const other = await p.user({ credits: 10 });
    const sub = await p.api(owner.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 1, ms: 200 } });
    expect(sub.status).toBe(202);
    const theirs = await p.api(other.key, "GET", jobUrl(sub.body.id));
    const missing = await p.api(other.key, "GET", jobUrl(randomUUID()));
    expectError(theirs, 404, "not_found");
    expect(theirs.body).toEqual(missing.body);
    expectError(await p.api(other.key, "POST", `${jobUrl(sub.body.id)}/cancel`), 404, "not_found");
    const still = await waitFor(async () => {
      const r = await p.api(owner.key, "GET", jobUrl(sub.body.id));
      return r.body.status === "succeeded" ? r.body : null;
    });
    expect(still.credits.charged).toBe(1);
  });

  it("ids that are not UUIDs", async () => {
    const u = await p.user();
    for (const id of ["not-a-uuid", "-".repeat(36), "123", "00000000-0000-0000-0000-00000000000g"]) {
      expectError(await p.api(u.key, "GET", jobUrl(id)), 404, "not_found");
      expectError(await p.api(u.key, "POST", `${jobUrl(id)}/cancel`), 404, "not_found");
    }
  });

  it("unknown routes", async () => {
    const u = await p.user();
    expectError(await p.api(u.key, "GET", "/api/v1/nothing-here"), 404, "not_found");
    expectError(await p.api(null, "GET", "/nothing-here"), 404, "not_found");
  });
});
