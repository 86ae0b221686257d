/**
 * The OpenAPI document: 3.1, every route served is documented with its
 * credit cost and error responses, every documented route is served, every
 * $ref resolves; and the UI at /docs is served from local assets.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../../src/api/openapi";
import { documentRoute } from "../../src/api/openapi-kit";
import { testKinds } from "../helpers/kinds";
import { type Platform, startPlatform } from "../helpers/platform";

/** The parts of an OpenAPI document these tests read. */
interface Schema { type?: string; properties?: Record<string, Schema>; required?: string[]; enum?: string[]; additionalProperties?: unknown }
interface Resp { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema?: unknown }> }
interface Op {
  summary?: string;
  description?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, Resp>;
  "x-credit-cost"?: unknown;
}
interface Doc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> };
}

let p: Platform;
let doc: Doc;
let admin: { id: string; key: string };

beforeAll(async () => {
  p = await startPlatform({ kinds: testKinds(), worker: false, env: { RATE_LIMIT_PER_MINUTE: "0" } });
  admin = await p.user({ role: "admin" });
  const r = await p.api(null, "GET", "/openapi.json");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/application\/json/);
  doc = r.body;
});
afterAll(async () => {
  await p?.close();
});

/** Every route this area serves (method, OpenAPI path). */
const SERVED: [string, string][] = [
  ["post", "/api/v1/estimates"], ["post", "/api/v1/jobs"], ["get", "/api/v1/jobs"], ["get", "/api/v1/jobs/{id}"], ["post", "/api/v1/jobs/{id}/cancel"],
  ["get", "/api/v1/credits/balance"], ["get", "/api/v1/credits/transactions"], ["get", "/api/v1/credits/summary"], ["get", "/api/v1/credits/rate"],
  ["post", "/api/v1/admin/users"], ["get", "/api/v1/admin/users"], ["get", "/api/v1/admin/users/{id}"],
  ["post", "/api/v1/admin/credits/add"], ["post", "/api/v1/admin/credits/remove"], ["post", "/api/v1/admin/credits/pause"], ["post", "/api/v1/admin/credits/resume"],
  ["get", "/api/v1/admin/users/{id}/balance"], ["get", "/api/v1/admin/users/{id}/transactions"], ["get", "/api/v1/admin/users/{id}/summary"],
  ["get", "/api/v1/admin/credits/system/summary"],
  ["post", "/api/v1/disputes"], ["get", "/api/v1/disputes"], ["get", "/api/v1/disputes/{id}"],
  ["get", "/api/v1/admin/disputes"], ["get", "/api/v1/admin/disputes/stats"], ["post", "/api/v1/admin/disputes/{id}/review"],
  ["post", "/api/v1/admin/disputes/{id}/resolve"], ["get", "/api/v1/admin/audit"],
  ["get", "/healthz"], ["get", "/readyz"], ["get", "/metrics"], ["get", "/openapi.json"], ["get", "/docs"],
  ["post", "/api/v1/holds"], ["get", "/api/v1/holds"], ["get", "/api/v1/holds/{id}"], ["post", "/api/v1/holds/{id}/capture"],
  ["post", "/api/v1/holds/{id}/release"], ["post", "/api/v1/credits/consume"], ["get", "/api/v1/credits/check"],
];

function operations(): { method: string; path: string; op: Op }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method, path, op })),
  );
}

describe("the document", () => {
  it("is OpenAPI 3.1 with info, bearer auth and the error envelope", () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    const error = doc.components.schemas.Error;
    expect(error.properties!.error!.required).toEqual(["code", "message", "details"]);
    expect(error.properties!.error!.properties!.code!.enum).toEqual(expect.arrayContaining([
      "invalid_request", "unauthenticated", "insufficient_credits", "forbidden", "account_paused", "not_found",
      "idempotency_conflict", "invalid_state", "payload_too_large", "rate_limited", "unavailable", "internal",
    ]));
  });

  it("lists every route served, each with its credit cost and its error responses", () => {
    const documented = new Set(operations().map((o) => `${o.method} ${o.path}`));
    for (const [method, path] of SERVED) expect(documented, `${method} ${path}`).toContain(`${method} ${path}`);
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      expect(op["x-credit-cost"], where).toBeDefined();
      expect(op.description, where).toMatch(/Credit cost: /);
      expect(op.summary, where).toBeTruthy();
      const errors = Object.keys(op.responses).filter((s) => Number(s) >= 400);
      expect(errors, where).toContain("500");
      for (const s of errors) {
        expect(op.responses[s]!.content!["application/json"]!.schema, `${where} ${s}`).toEqual({ $ref: "#/components/schemas/Error" });
        expect(op.responses[s]!.description, `${where} ${s}`).toMatch(/`[a-z_]+`: /);
      }
      const success = Object.keys(op.responses).filter((s) => Number(s) < 400);
      expect(success, where).toHaveLength(1);
      if (op.security?.length) expect(errors, where).toContain("401");
      if (path.includes("/admin/")) expect(op.responses["403"]!.description, where).toMatch(/`forbidden`/);
    }
  });

  it("documents the contract's specifics: 402 and 409s on POST /jobs, 429 with Retry-After, a free GET", () => {
    const submit = doc.paths["/api/v1/jobs"]!.post!;
    expect(Object.keys(submit.responses).sort()).toEqual(["202", "400", "401", "402", "403", "409", "413", "429", "500", "503"]);
    expect(submit.responses["403"]!.description).toMatch(/account_paused/);
    expect(submit.responses["409"]!.description).toMatch(/idempotency_conflict/);
    expect(submit.responses["429"]!.headers!["Retry-After"]).toBeDefined();
    expect(submit.parameters!.map((x) => `${x.in}:${x.name}`)).toContain("header:Idempotency-Key");
    expect(submit.requestBody!.content["application/json"]!.schema).toEqual({ $ref: "#/components/schemas/SubmitJobRequest" });
    expect(typeof submit["x-credit-cost"]).toBe("string");
    expect(doc.paths["/api/v1/credits/balance"]!.get!["x-credit-cost"]).toBe(0);
    expect(doc.paths["/api/v1/jobs/{id}"]!.get!.parameters).toEqual([expect.objectContaining({ name: "id", in: "path", required: true })]);
    // The request schemas are the ones the routes parse with.
    expect(doc.components.schemas.SubmitJobRequest!.required).toEqual(["kind"]);
    expect(doc.components.schemas.SubmitJobRequest!.additionalProperties).toBe(false);
    expect(Object.keys(doc.components.schemas.AddCreditsRequest!.properties!).sort()).toEqual(["amount", "credit_type", "description", "expires_at", "reason", "user_id"]);
    // The deployment's job kinds, with their input schemas.
    expect(doc.components.schemas.JobInput_test).toMatchObject({ type: "object", properties: { cost: { type: "integer" } } });
    expect(submit.description).toMatch(/`test`/);
  });

  it("every $ref resolves", () => {
    const refs = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) {
          if (k === "$ref" && typeof x === "string") refs.add(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    expect(refs.size).toBeGreaterThan(10);
    for (const ref of refs) {
      const target = ref.replace(/^#\//, "").split("/").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc);
      expect(target, ref).toBeDefined();
    }
  });

  it("every documented route is served", async () => {
    for (const { method, path } of operations()) {
      const url = path.replace(/\{[^}]+\}/g, randomUUID());
      const r = await p.api(admin.key, method.toUpperCase(), url, method === "get" ? undefined : {});
      const noRoute = r.status === 404 && /^No route/.test(r.body?.error?.message ?? "");
      expect(noRoute, `${method} ${path} → ${r.status}`).toBe(false);
      expect(r.status, `${method} ${path}`).toBeLessThan(500);
    }
  });
});

describe("contributors", () => {
  it("another area adds its paths through the kit", () => {
    const built = buildOpenApiDocument(p.ctx, [
      (r) => documentRoute(r, {
        method: "post", path: "/api/v1/batches", tags: ["Jobs"], auth: "key", credits: "the sum of the jobs' estimates", rateLimited: true,
        summary: "Submit a batch", response: { status: 202, description: "Accepted." }, errors: ["insufficient_credits"],
      }),
    ]);
    const op = (built.paths as unknown as Doc["paths"])["/api/v1/batches"]!.post!;
    expect(op["x-credit-cost"]).toBe("the sum of the jobs' estimates");
    expect(Object.keys(op.responses).sort()).toEqual(["202", "401", "402", "429", "500"]);
  });
});

describe("the UI", () => {
  it("serves Swagger UI from local assets, pointed at /openapi.json", async () => {
    const page = await fetch(`${p.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<div id="swagger-ui">');
    expect(html).not.toMatch(/src=["']https?:|href=["']https?:/);
    const css = await fetch(`${p.url}/docs/swagger-ui.css`);
    expect(css.status).toBe(200);
    const bundle = await fetch(`${p.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    const init = await (await fetch(`${p.url}/docs/swagger-ui-init.js`)).text();
    expect(init).toContain('"/openapi.json"');
  });
});
