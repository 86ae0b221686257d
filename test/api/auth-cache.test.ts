/**
 * API keys answered from memory (src/users/key-cache.ts): a key revoked by
 * another process stops working within AUTH_CACHE_TTL_MS, and a pause
 * refuses submissions at once even while the user is cached.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { User } from "../../src/entities/user";
import { ApiKeyCache } from "../../src/users/key-cache";
import { hashApiKey } from "../../src/users/api-keys";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";
import { expectError, ledgerState } from "./support";

const TTL_MS = 2000;
let p: Platform;

beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { AUTH_CACHE_TTL_MS: String(TTL_MS), RATE_LIMIT_PER_MINUTE: "0" } });
});
afterAll(async () => {
  await p?.close();
});

const balance = (key: string) => p.api(key, "GET", "/api/v1/credits/balance");

describe("API key cache", () => {
  it("a key revoked elsewhere stops working within the TTL", async () => {
    const u = await p.user();
    expect((await balance(u.key)).status).toBe(200); // now cached
    // Revoked directly in the database, as another API process (or an operator) would.
    await p.ctx.ds.query(`UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1`, [hashApiKey(u.key)]);
    const revokedAt = performance.now();
    let status = 200;
    while (status === 200 && performance.now() - revokedAt < TTL_MS + 2000) {
      status = (await balance(u.key)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expectError(await balance(u.key), 401, "unauthenticated");
    // The entry lives TTL_MS from its lookup, which came before the revocation.
    expect(performance.now() - revokedAt).toBeLessThan(TTL_MS + 500);
  });

  it("a paused user is refused at once, even while the key is cached", async () => {
    const u = await p.user({ credits: 20 });
    expect((await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 2 } })).status).toBe(202);
    // Paused directly in the database (another process): this process's cache still says active.
    await p.ctx.ds.query(`UPDATE users SET credit_status = 'paused' WHERE id = $1`, [u.id]);
    expectError(await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 2 } }), 403, "account_paused");
    expect(await ledgerState(p, u.id)).toMatchObject({ jobs: 1, pending_holds: 1, held: 2 });
  });

  it("a resume (not cached while paused) and a pause through this process take effect at once", async () => {
    const u = await p.user({ credits: 20 });
    await p.ctx.ds.query(`UPDATE users SET credit_status = 'paused' WHERE id = $1`, [u.id]);
    expect((await balance(u.key)).body.status).toBe("paused");
    await p.ctx.ds.query(`UPDATE users SET credit_status = 'active' WHERE id = $1`, [u.id]);
    expect((await balance(u.key)).body.status).toBe("active");
    expect((await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 2 } })).status).toBe(202);
    expect(p.ctx.authCache.size).toBeGreaterThan(0);
  });
});

describe("ApiKeyCache", () => {
  const user = (creditStatus: User["creditStatus"]): User => ({
    id: "u", email: "u@example.com", name: null, role: "user", creditStatus, lowCreditThreshold: null, createdAt: new Date(), updatedAt: new Date(),
  });

  it("shares one lookup between concurrent requests and keeps only active users", async () => {
    const c = new ApiKeyCache(60_000);
    let loads = 0;
    const load = (u: User | null) => async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 10));
      return u;
    };
    await Promise.all([c.get("a", load(user("active"))), c.get("a", load(user("active")))]);
    await c.get("a", load(user("active")));
    expect(loads).toBe(1);
    await c.get("p", load(user("paused")));
    await c.get("p", load(user("paused")));
    await c.get("x", load(null));
    await c.get("x", load(null));
    expect(loads).toBe(5);
    await expect(c.get("e", () => Promise.reject(new Error("db down")))).rejects.toThrow("db down");
    expect(c.size).toBe(1);
  });

  it("stays bounded, and a TTL of 0 looks up every time", async () => {
    const c = new ApiKeyCache(60_000, 3);
    for (const k of ["a", "b", "c", "d", "e"]) await c.get(k, async () => user("active"));
    expect(c.size).toBe(3);
    const off = new ApiKeyCache(0);
    let loads = 0;
    for (let i = 0; i < 3; i++) await off.get("a", async () => (loads++, user("active")));
    expect(loads).toBe(3);
    expect(off.size).toBe(0);
  });
});
