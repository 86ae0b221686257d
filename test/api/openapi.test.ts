/**
 * The OpenAPI document: 3.1, every route served (walked from the app's
 * router) is documented with its credit cost and error responses, every
 * documented route is served, every
 * $ref resolves; and the UI at /docs is served from local assets.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Express } from "express";
import { createApp } from "../../src/api/app";
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
  // Stripe configured (pointed at a closed loopback port: nothing leaves the machine), so billing routes answer
  // their validation errors rather than 503 "not configured".
  p = await startPlatform({
    kinds: testKinds(), worker: false,
    env: { RATE_LIMIT_PER_MINUTE: "0", STRIPE_SECRET_KEY: "sk_test_openapi", STRIPE_WEBHOOK_SECRET: "whsec_openapi", STRIPE_API_BASE: "http://127.0.0.1:1" },
  });
  admin = await p.user({ role: "admin" });
  const r = await p.api(null, "GET", "/openapi.json");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/application\/json/);
  doc = r.body;
});
afterAll(async () => {
  await p?.close();
});

interface Layer {
  route?: { path: string | RegExp | (string | RegExp)[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[];
}

/**
 * Every route the app serves (`method path`, in OpenAPI's `{param}` style),
 * found by walking the Express router stack of the app createApp builds —
 * the same call the API process makes — so a route added anywhere without
 * docs fails the test below.
 */
function servedRoutes(app: Express): string[] {
  const out = new Set<string>();
  const toOpenApi = (path: string) => path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of [layer.route.path].flat()) {
          // A pattern route (the dashboard's HTML pages: /, /jobs, /admin …) serves many paths and is
          // no API operation; every route with a path of its own must be documented.
          if (typeof path !== "string") continue;
          for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== "_all") out.add(`${method} ${toOpenApi(prefix + path)}`);
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === "string" && layer.rawPath !== "/" ? layer.rawPath : "";
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, "");
  return [...out].sort();
}

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

  it("lists every route the app serves (walked from its router), each with its credit cost and its error responses", () => {
    const documented = new Set(operations().map((o) => `${o.method} ${o.path}`));
    const served = servedRoutes(createApp(p.ctx));
    // The walk itself works: it finds routes of every area, under their mount paths.
    expect(served).toEqual(expect.arrayContaining(["get /healthz", "post /api/v1/jobs", "get /api/v1/jobs/{id}", "get /api/v1/files/{id}/content",
      "post /api/v1/webhooks/stripe", "get /api/v1/packages", "delete /api/v1/keys/{id}", "get /api/v1/admin/alerts"]));
    expect(served.filter((r) => !documented.has(r)), "served but not documented").toEqual([]);
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
