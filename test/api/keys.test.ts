/**
 * GET /me and the caller's API keys: create (shown once, stored hashed),
 * list, revoke (own only; admins any). The auth cache TTL here is a minute,
 * so a revoked key answering 401 at once proves the revoking process forgot it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/users/api-keys";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";
import { expectError } from "./support";

let p: Platform;

beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { AUTH_CACHE_TTL_MS: "60000", RATE_LIMIT_PER_MINUTE: "0" } });
});
afterAll(async () => {
  await p?.close();
});

const me = (key: string) => p.api(key, "GET", "/api/v1/me");

describe("GET /me", () => {
  it("answers the caller's profile, plan null without a subscription", async () => {
    const u = await p.user({ email: `Me-${Date.now()}@example.com` });
    const r = await me(u.key);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: u.id, email: expect.stringMatching(/^Me-/), name: null, role: "user", status: "active", plan: null,
      created_at: expect.stringMatching(/Z$/),
    });
    expectError(await p.api(null, "GET", "/api/v1/me"), 401, "unauthenticated");
    expectError(await p.api("hf_not-a-key", "GET", "/api/v1/me"), 401, "unauthenticated");
  });

  it("shows the plan of a live subscription", async () => {
    const admin = await p.user({ role: "admin" });
    const u = await p.user();
    const [pkg] = await p.ctx.ds.query(`SELECT id, code, name FROM packages WHERE active ORDER BY sort_order LIMIT 1`);
    const assigned = await p.api(admin.key, "POST", `/api/v1/admin/users/${u.id}/plan`, { package_id: pkg.id });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(201);
    const r = await me(u.key);
    expect(r.body.plan).toMatchObject({ package_id: pkg.id, code: pkg.code, name: pkg.name, status: "active", source: "admin" });
    expect((await me(admin.key)).body).toMatchObject({ role: "admin", plan: null });
  });
});

describe("API keys", () => {
  it("creates a named key shown once, which works at once and is stored hashed", async () => {
    const u = await p.user();
    const r = await p.api(u.key, "POST", "/api/v1/keys", { name: " ci " });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(["api_key", "created_at", "id", "name", "prefix"]);
    expect(r.body.name).toBe("ci");
    expect(r.body.api_key.startsWith(r.body.prefix)).toBe(true);
    expect((await me(r.body.api_key)).body.id).toBe(u.id);
    const [row] = await p.ctx.ds.query(`SELECT key_hash, user_id FROM api_keys WHERE id = $1`, [r.body.id]);
    expect(row).toEqual({ key_hash: hashApiKey(r.body.api_key), user_id: u.id });
    expect(JSON.stringify(await p.ctx.ds.query(`SELECT * FROM api_keys WHERE id = $1`, [r.body.id]))).not.toContain(r.body.api_key);
  });

  it("refuses a missing, empty or unknown field with 400 and creates nothing", async () => {
    const u = await p.user();
    for (const body of [{}, { name: "  " }, { name: "x", scope: "all" }, { name: "x".repeat(101) }]) {
      expectError(await p.api(u.key, "POST", "/api/v1/keys", body), 400, "invalid_request");
    }
    expect((await p.api(u.key, "GET", "/api/v1/keys")).body.data).toHaveLength(1);
  });

  it("lists only the caller's keys, newest first, paginated, never the key itself", async () => {
    const u = await p.user();
    const other = await p.user();
    await p.api(other.key, "POST", "/api/v1/keys", { name: "theirs" });
    const a = await p.api(u.key, "POST", "/api/v1/keys", { name: "a" });
    const b = await p.api(u.key, "POST", "/api/v1/keys", { name: "b" });
    const all = await p.api(u.key, "GET", "/api/v1/keys");
    expect(all.status).toBe(200);
    expect(all.body.data.map((k: { id: string }) => k.id).slice(0, 2)).toEqual([b.body.id, a.body.id]);
    expect(all.body.data).toHaveLength(3); // + the key the user was created with
    expect(Object.keys(all.body.data[0]).sort()).toEqual(["created_at", "id", "last_used_at", "name", "prefix", "revoked_at"]);
    expect(JSON.stringify(all.body)).not.toContain(a.body.api_key);
    const first = await p.api(u.key, "GET", "/api/v1/keys?limit=2");
    expect(first.body.data).toHaveLength(2);
    const second = await p.api(u.key, "GET", `/api/v1/keys?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body).toMatchObject({ next_cursor: null, data: [expect.objectContaining({ id: all.body.data[2].id })] });
    expectError(await p.api(u.key, "GET", "/api/v1/keys?limit=0"), 400, "invalid_request");
    expectError(await p.api(u.key, "GET", "/api/v1/keys?cursor=bogus"), 400, "invalid_request");
  });

  it("records last_used_at when a key is used, at most once a minute", async () => {
    const u = await p.user();
    const k = await p.api(u.key, "POST", "/api/v1/keys", { name: "used" });
    expect((await p.api(u.key, "GET", "/api/v1/keys")).body.data[0].last_used_at).toBeNull();
    await me(k.body.api_key);
    const first = await waitFor(async () => {
      const [r] = await p.ctx.ds.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [k.body.id]);
      return r.last_used_at as Date | null;
    }, { what: "last_used_at" });
    await me(k.body.api_key);
    await me(k.body.api_key);
    await new Promise((r) => setTimeout(r, 200));
    const [again] = await p.ctx.ds.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [k.body.id]);
    expect(again.last_used_at.getTime()).toBe(first.getTime());
    const listed = (await p.api(u.key, "GET", "/api/v1/keys")).body.data.find((x: { id: string }) => x.id === k.body.id);
    expect(listed.last_used_at).toBe(first.toISOString());
  });

  it("a key revoked through this process stops working at once, though it was cached", async () => {
    const u = await p.user();
    const k = await p.api(u.key, "POST", "/api/v1/keys", { name: "short-lived" });
    expect((await me(k.body.api_key)).status).toBe(200); // now in the auth cache for a minute
    const del = await p.api(u.key, "DELETE", `/api/v1/keys/${k.body.id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeNull();
    expectError(await me(k.body.api_key), 401, "unauthenticated");
    expect((await me(u.key)).status).toBe(200); // the user's other key is untouched
    const listed = (await p.api(u.key, "GET", "/api/v1/keys")).body.data.find((x: { id: string }) => x.id === k.body.id);
    expect(listed.revoked_at).toEqual(expect.stringMatching(/Z$/));
    // Again: a no-op that still succeeds (a retried DELETE), and revoked_at does not move.
    expect((await p.api(u.key, "DELETE", `/api/v1/keys/${k.body.id}`)).status).toBe(204);
    const again = (await p.api(u.key, "GET", "/api/v1/keys")).body.data.find((x: { id: string }) => x.id === k.body.id);
    expect(again.revoked_at).toBe(listed.revoked_at);
  });

  it("a user can revoke the key they are calling with", async () => {
    const u = await p.user();
    const keys = (await p.api(u.key, "GET", "/api/v1/keys")).body.data;
    expect((await p.api(u.key, "DELETE", `/api/v1/keys/${keys[0].id}`)).status).toBe(204);
    expectError(await me(u.key), 401, "unauthenticated");
  });

  it("another user's key, an unknown id and a malformed id are 404, and the key keeps working", async () => {
    const u = await p.user();
    const other = await p.user();
    const theirs = await p.api(other.key, "POST", "/api/v1/keys", { name: "theirs" });
    expectError(await p.api(u.key, "DELETE", `/api/v1/keys/${theirs.body.id}`), 404, "not_found");
    expectError(await p.api(u.key, "DELETE", `/api/v1/keys/00000000-0000-4000-8000-000000000000`), 404, "not_found");
    expectError(await p.api(u.key, "DELETE", `/api/v1/keys/not-a-uuid`), 404, "not_found");
    expect((await me(theirs.body.api_key)).status).toBe(200);
    const [row] = await p.ctx.ds.query(`SELECT revoked_at FROM api_keys WHERE id = $1`, [theirs.body.id]);
    expect(row.revoked_at).toBeNull();
  });

  it("an admin revokes any key at once; a user key on the admin route is 403", async () => {
    const admin = await p.user({ role: "admin" });
    const u = await p.user();
    const k = await p.api(u.key, "POST", "/api/v1/keys", { name: "to-revoke" });
    expect((await me(k.body.api_key)).status).toBe(200);
    expectError(await p.api(u.key, "DELETE", `/api/v1/admin/keys/${k.body.id}`), 403, "forbidden");
    expect((await me(k.body.api_key)).status).toBe(200);
    expect((await p.api(admin.key, "DELETE", `/api/v1/admin/keys/${k.body.id}`)).status).toBe(204);
    expectError(await me(k.body.api_key), 401, "unauthenticated");
    expectError(await p.api(admin.key, "DELETE", `/api/v1/admin/keys/00000000-0000-4000-8000-000000000000`), 404, "not_found");
  });
});
