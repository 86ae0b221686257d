/**
 * GET /api/v1/admin/users/:id/limits: the read side of the admin's ceilings,
 * the same view the user gets at GET /credits/limits.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Platform, startPlatform } from "../helpers/platform";
import { expectError } from "./support";

let p: Platform;
let admin: string;
beforeAll(async () => {
  p = await startPlatform({ worker: false });
  admin = (await p.user({ role: "admin" })).key;
});
afterAll(async () => {
  await p?.close();
});

describe("an admin reads a user's limits", () => {
  it("shows the ceilings an admin set and the user's own limits, as the user sees them", async () => {
    const u = await p.user({ credits: 50 });
    const none = await p.api(admin, "GET", `/api/v1/admin/users/${u.id}/limits`);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ daily: null, monthly: null, ceiling_daily: null, ceiling_monthly: null, spent_today: 0, spent_this_month: 0, low_credit_threshold: null });

    expect((await p.api(u.key, "PUT", "/api/v1/credits/limits", { daily: 40, low_credit_threshold: 5 })).status).toBe(200);
    expect((await p.api(admin, "PUT", `/api/v1/admin/users/${u.id}/limits`, { ceiling_monthly: 300, reason: "trial account" })).status).toBe(200);
    const r = await p.api(admin, "GET", `/api/v1/admin/users/${u.id}/limits`);
    expect(r.body).toMatchObject({ daily: 40, monthly: 300, ceiling_daily: null, ceiling_monthly: 300, low_credit_threshold: 5 });
    expect(r.body).toEqual((await p.api(u.key, "GET", "/api/v1/credits/limits")).body);
  });

  it("404 for an unknown or malformed id; 403 for a user key", async () => {
    expectError(await p.api(admin, "GET", `/api/v1/admin/users/${randomUUID()}/limits`), 404, "not_found");
    expectError(await p.api(admin, "GET", "/api/v1/admin/users/nope/limits"), 404, "not_found");
    const u = await p.user();
    expectError(await p.api(u.key, "GET", `/api/v1/admin/users/${u.id}/limits`), 403, "forbidden");
  });
});
