/**
 * Dashboard sessions over plain HTTP: the key is exchanged for an HTTP-only
 * SameSite=Strict cookie stored hashed; the cookie authenticates /api/v1 only
 * with the CSRF header; sign-in tokens work once; sign-out ends the session;
 * bearer keys are unchanged. Plus how the static dashboard is served.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignInToken } from "../../src/dashboard/sessions";
import { hashApiKey } from "../../src/users/api-keys";
import { type Platform, startPlatform } from "../helpers/platform";

let p: Platform;
let user: { id: string; key: string };
beforeAll(async () => {
  p = await startPlatform({ worker: false });
  user = await p.user({ credits: 42 });
});
afterAll(async () => {
  await p?.close();
});

const CSRF = { "x-holdfast-csrf": "1" };

async function signIn(body: unknown): Promise<{ status: number; cookie: string | null; setCookie: string; body: unknown }> {
  const r = await p.api(null, "POST", "/api/v1/session", body, CSRF);
  const setCookie = r.headers.get("set-cookie") ?? "";
  return { status: r.status, cookie: /holdfast_session=([^;]+)/.exec(setCookie)?.[1] ?? null, setCookie, body: r.body };
}

describe("sessions", () => {
  it("sign in with a key sets an HTTP-only SameSite=Strict cookie stored only as a hash; the cookie works with the CSRF header only", async () => {
    const s = await signIn({ api_key: user.key });
    expect(s.status).toBe(201);
    expect(s.body).toMatchObject({ user: { id: user.id, role: "user", status: "active" } });
    expect(s.setCookie).toMatch(/HttpOnly/i);
    expect(s.setCookie).toMatch(/SameSite=Strict/i);
    expect(s.setCookie).toMatch(/Path=\//);
    const rows: { token_hash: string; key_hash: string }[] = await p.ctx.ds.query(`SELECT token_hash, key_hash FROM dashboard_sessions WHERE kind = 'session'`);
    expect(rows).toContainEqual({ token_hash: hashApiKey(s.cookie!), key_hash: hashApiKey(user.key) });
    expect(JSON.stringify(rows)).not.toContain(s.cookie!);

    const cookie = { cookie: `holdfast_session=${s.cookie}` };
    const withHeader = await p.api(null, "GET", "/api/v1/credits/balance", undefined, { ...cookie, ...CSRF });
    expect(withHeader.status).toBe(200);
    expect(withHeader.body.available).toBe(42);
    // A cross-site form or simple fetch carries the cookie but cannot add the header.
    const forged = await p.api(null, "POST", "/api/v1/jobs", { kind: "x", input: {} }, cookie);
    expect(forged.status).toBe(401);
    expect(forged.body.error.message).toMatch(/X-Holdfast-CSRF/);
    // Bearer keys work as before, with or without cookies around.
    expect((await p.api(user.key, "GET", "/api/v1/credits/balance")).status).toBe(200);
  });

  it("refuses a wrong key (401), a missing CSRF header (403) and a bad body (400)", async () => {
    expect((await signIn({ api_key: "hf_nope" })).status).toBe(401);
    expect((await p.api(null, "POST", "/api/v1/session", { api_key: user.key })).status).toBe(403);
    const bad = await signIn({ api_key: user.key, extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.cookie).toBeNull();
  });

  it("sign out ends the session in the database", async () => {
    const s = await signIn({ api_key: user.key });
    const h = { cookie: `holdfast_session=${s.cookie}`, ...CSRF };
    expect((await p.api(null, "GET", "/api/v1/session", undefined, h)).body.user.id).toBe(user.id);
    const out = await p.api(null, "DELETE", "/api/v1/session", undefined, h);
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/holdfast_session=;.*Expires=Thu, 01 Jan 1970/);
    const after = await p.api(null, "GET", "/api/v1/credits/balance", undefined, h);
    expect(after.status).toBe(401);
  });

  it("a sign-in token works exactly once, also when redeemed concurrently, and not after it expires", async () => {
    const { token } = await createSignInToken(p.ctx, user.key);
    const results = await Promise.all([1, 2, 3, 4].map(() => signIn({ sign_in_token: token })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 401, 401, 401]);
    const expired = await createSignInToken(p.ctx, user.key, 1);
    await p.ctx.ds.query(`UPDATE dashboard_sessions SET created_at = created_at - interval '1 hour', expires_at = expires_at - interval '1 hour' WHERE token_hash = $1`, [hashApiKey(expired.token)]);
    expect((await signIn({ sign_in_token: expired.token })).status).toBe(401);
  });

  it("a revoked key ends its sessions", async () => {
    const other = await p.user();
    const s = await signIn({ api_key: other.key });
    await p.ctx.ds.query(`UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1`, [hashApiKey(other.key)]);
    await new Promise((r) => setTimeout(r, p.ctx.config.AUTH_CACHE_TTL_MS + 50)); // the key cache's documented window
    const r = await p.api(null, "GET", "/api/v1/credits/balance", undefined, { cookie: `holdfast_session=${s.cookie}`, ...CSRF });
    expect(r.status).toBe(401);
  });
});

describe("static dashboard", () => {
  it("serves index.html at / and /admin/* uncached, assets immutable, with a strict CSP; API 404s stay JSON", async () => {
    for (const path of ["/", "/admin", "/admin/users/x", "/jobs/123"]) {
      const r = await fetch(`${p.url}${path}`);
      expect(r.status, path).toBe(200);
      expect(r.headers.get("cache-control")).toBe("no-cache");
      const csp = r.headers.get("content-security-policy")!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      const html = await r.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
      const a = await fetch(`${p.url}${asset}`);
      expect(a.status).toBe(200);
      expect(a.headers.get("cache-control")).toMatch(/max-age=31536000.*immutable/);
    }
    expect((await fetch(`${p.url}/assets/missing.js`)).status).toBe(404);
    const api404 = await p.api(user.key, "GET", "/api/v1/nope");
    expect(api404.status).toBe(404);
    expect(api404.body.error.code).toBe("not_found");
  });

  it("Bull Board at /admin/queues: admin session only", async () => {
    const admin = await p.user({ role: "admin" });
    expect((await fetch(`${p.url}/admin/queues`, { redirect: "manual" })).status).toBe(303);
    const u = await signIn({ api_key: user.key });
    expect((await fetch(`${p.url}/admin/queues`, { headers: { cookie: `holdfast_session=${u.cookie}` } })).status).toBe(403);
    const a = await signIn({ api_key: admin.key });
    const page = await fetch(`${p.url}/admin/queues`, { headers: { cookie: `holdfast_session=${a.cookie}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Holdfast queues");
    const api = await fetch(`${p.url}/admin/queues/api/queues`, { headers: { cookie: `holdfast_session=${a.cookie}` } });
    expect(api.status).toBe(200);
    // A state-changing call from another origin is refused even with the admin's cookie.
    const cross = await fetch(`${p.url}/admin/queues/api/queues/jobs/pause`, { method: "PUT", headers: { cookie: `holdfast_session=${a.cookie}`, origin: "https://evil.example" } });
    expect(cross.status).toBe(403);
  });
});
