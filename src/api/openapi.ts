/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the routes
 * parse with, served at /openapi.json and as Swagger UI at /docs (assets
 * from the installed swagger-ui-dist; no CDN).
 *
 * Each area documents its own routes with a contributor — a function that
 * registers paths on the registry with `documentRoute` from ./openapi-kit —
 * and adds ONE line to `openApiContributors` below. Contributors import the
 * kit, never this file, so there is no import cycle.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { Router } from "express";
import swaggerUi from "swagger-ui-express";
import type { AppContext } from "../context";
import { adminDocs } from "./docs/admin";
import { billingDocs } from "./docs/billing";
import { keysDocs } from "./docs/keys";
import { creditsDocs } from "./docs/credits";
import { dashboardDocs } from "./docs/dashboard";
import { jobsDocs } from "./docs/jobs";
import { kindsDocs } from "./docs/kinds";
import { opsDocs } from "./docs/ops";
import { disputesDocs } from "./docs/disputes";
import { holdsDocs } from "./docs/holds";
import { limitsDocs } from "./docs/limits";
import { labelRoute } from "./metrics";

/** Registers an area's paths. `ctx` is there for what depends on the deployment (job kinds, limits). */
export type OpenApiContributor = (registry: OpenAPIRegistry, ctx: AppContext) => void;

/** Every area's docs. Add a line here when an area gets routes. */
export const openApiContributors: OpenApiContributor[] = [
  jobsDocs,
  kindsDocs,
  creditsDocs,
  adminDocs,
  opsDocs,
  disputesDocs,
  dashboardDocs,
  holdsDocs,
  billingDocs,
  keysDocs,
  limitsDocs,
];

export function buildOpenApiDocument(ctx: AppContext, contributors: OpenApiContributor[] = openApiContributors) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key: `Authorization: Bearer <key>`.",
  });
  for (const contribute of contributors) contribute(registry, ctx);
  const limit = ctx.config.RATE_LIMIT_PER_MINUTE;
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Holdfast API",
      version: "1.0.0",
      description: [
        "Holdfast runs paid work: submit a job, the platform prices it in credits, holds them, runs the job, then charges what it used and releases the rest — or refunds everything when the platform failed.",
        "Credits are integers; money is decimal-dollar strings or integer `*_cents`. Lists take `limit` (default 50, max 200) and `cursor` and answer `{ data, next_cursor }`.",
        "Every error is `{ \"error\": { \"code\", \"message\", \"details\" } }` with a stable `code`.",
        limit > 0 ? `Credit-consuming routes are limited to ${limit} requests per minute per API key.` : "",
      ].filter(Boolean).join("\n\n"),
    },
    tags: [
      { name: "Jobs", description: "Price, submit, watch and cancel paid work." },
      { name: "Credits", description: "Your balance, history and spending." },
      { name: "Admin", description: "Users and credits, for admin keys." },
      { name: "Holds", description: "Meter your own application's work: hold, capture, release, consume." },
      { name: "Operations", description: "Health, readiness, metrics and these docs." },
      { name: "Disputes", description: "Dispute a charge; admins review and resolve (refund or reject)." },
      { name: "Billing", description: "Plans, credit purchases, subscriptions and the Stripe webhook." },
      { name: "Account", description: "Your profile and API keys." },
    ],
  });
}

/** /openapi.json (built once per app, on first request) and /docs. */
export function openApiRouter(ctx: AppContext, contributors: OpenApiContributor[] = openApiContributors): Router {
  const r = Router();
  let doc: ReturnType<typeof buildOpenApiDocument> | undefined;
  r.get("/openapi.json", (_req, res) => {
    doc ??= buildOpenApiDocument(ctx, contributors);
    res.json(doc);
  });
  // The UI fetches the document itself; validatorUrl null keeps it from calling swagger.io.
  const ui = { swaggerUrl: "/openapi.json", customSiteTitle: "Holdfast API", swaggerOptions: { url: "/openapi.json", validatorUrl: null } };
  r.use("/docs", labelRoute("/docs"), swaggerUi.serveFiles(undefined, ui), swaggerUi.setup(undefined, ui));
  return r;
}
