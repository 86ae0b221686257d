/**
 * What one API app holds besides the context: state that lives as long as the
 * app (one per process), handed to the routers that need it.
 */
import type { Router } from "express";
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

/** A router of one area, mounted under /api/v1. */
export type RouterFactory = (ctx: AppContext, services: ApiServices) => Router;
