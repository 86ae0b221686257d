/**
 * What one API app holds besides the context: state that lives as long as the
 * app (one per process), handed to the routers that need it.
 */
import type { Express, Router } from "express";
import type { AppContext } from "../context";
import { JobAdmission } from "../jobs/admission";
import { type ApiMetrics, observeSubmitPhases } from "./metrics";

export interface ApiServices {
  /** Job submission: the group commit of unkeyed submissions and the account-id cache. */
  admission: JobAdmission;
}

export function createApiServices(ctx: AppContext, metrics?: ApiMetrics): ApiServices {
  return { admission: new JobAdmission(ctx, { onSubmitPhases: metrics ? observeSubmitPhases(metrics) : undefined }) };
}

const LOCALS_KEY = "holdfastServices";

/** Keep the app's services where its owner (the API role, for shutdown) can reach them. */
export function attachServices(app: Express, services: ApiServices): void {
  app.locals[LOCALS_KEY] = services;
}

export function servicesOf(app: Express): ApiServices | undefined {
  return app.locals[LOCALS_KEY] as ApiServices | undefined;
}

/** A router of one area, mounted under /api/v1. */
export type RouterFactory = (ctx: AppContext, services: ApiServices) => Router;
