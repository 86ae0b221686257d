/**
 * The Express app. Routes are thin: parse, call one service, map errors
 * (errors.ts is the only mapper). Each area is a router of its own file.
 */
import express, { type Express } from "express";
import type { AppContext } from "../context";
import { registerMoneyMetrics } from "../metrics/money-metrics";
import { authenticate } from "./auth";
import { dashboardRouter } from "./dashboard";
import { countRepeated402s, errorHandler, notFoundHandler } from "./error-handler";
import { attachMetrics, createApiMetrics, httpMetrics, recordRoute } from "./metrics";
import { type OpenApiContributor, openApiContributors, openApiRouter } from "./openapi";
import { opsRouter } from "./ops";
import { assignRequestId } from "./request-id";
import { authenticatedRouters, publicRouters } from "./routers";
import { jobsRouter } from "./routes/jobs";
import { attachServices, createApiServices, type RouterFactory } from "./services";

export interface AppOptions {
  /** Extra routers mounted under /api/v1 after authentication (billing, files …). */
  routers?: RouterFactory[];
  /** Routers mounted under /api/v1 before authentication (webhooks). */
  publicRouters?: RouterFactory[];
  /** What /openapi.json documents (default: every area's contributor). */
  openApi?: OpenApiContributor[];
}

export function createApp(ctx: AppContext, opts: AppOptions = { routers: authenticatedRouters, publicRouters }): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", 1);
  app.set("query parser", "extended");
  app.use(assignRequestId());

  const metrics = createApiMetrics();
  const services = createApiServices(ctx, metrics);
  attachServices(app, services);
  registerMoneyMetrics(metrics.registry, ctx); // read from the database and BullMQ at scrape time
  attachMetrics(app, metrics);
  app.use(httpMetrics(metrics));

  app.use(opsRouter(ctx, metrics));
  app.use(openApiRouter(ctx, opts.openApi ?? openApiContributors));

  const pub = express.Router();
  pub.use(recordRoute());
  for (const make of opts.publicRouters ?? []) pub.use(make(ctx, services));
  app.use("/api/v1", pub);

  const api = express.Router();
  api.use(recordRoute());
  api.use(express.json({ limit: ctx.config.JSON_BODY_LIMIT_BYTES, type: ["application/json", "application/*+json"] }));
  api.use(authenticate(ctx));
  api.use(jobsRouter(ctx, services));
  for (const make of opts.routers ?? []) api.use(make(ctx, services));
  app.use("/api/v1", api);
  app.use(dashboardRouter(ctx));

  app.use(notFoundHandler());
  app.use(countRepeated402s(ctx)); // anomaly alerts: counts 402s per key, then passes the error on
  app.use(errorHandler(ctx.logger));
  return app;
}
