import { afterAll, beforeAll, expect, it } from "vitest";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform, waitFor } from "../helpers/platform";

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds() });
});
afterAll(async () => {
  await p?.close();
});

it("submits, runs and settles a job over HTTP", async () => {
  const u = await p.user({ credits: 10 });
  const sub = await p.api(u.key, "POST", "/api/v1/jobs", { kind: "test", input: { cost: 4, use: 3 } });
  expect(sub.status).toBe(202);
  expect(sub.body).toMatchObject({ kind: "test", status: "queued", credits: { estimated: 4, held: 4, charged: 0, refunded: 0 } });
  const done = await waitFor(async () => {
    const r = await p.api(u.key, "GET", `/api/v1/jobs/${sub.body.id}`);
    return r.body.status === "succeeded" ? r.body : null;
  });
  expect(done).toMatchObject({ progress: 100, attempts: 1, credits: { estimated: 4, held: 0, charged: 3, refunded: 1 }, result: { echoed: true } });
});
