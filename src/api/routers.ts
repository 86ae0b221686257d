/**
 * Every router beyond jobs, mounted under /api/v1 by createApp. Add a line
 * here when an area gets its own router file.
 */
import type { Router } from "express";
import type { AppContext } from "../context";

/** Mounted after authentication. */
export const authenticatedRouters: ((ctx: AppContext) => Router)[] = [];

/** Mounted before authentication (e.g. Stripe's webhook, which is signed, not keyed). */
export const publicRouters: ((ctx: AppContext) => Router)[] = [];
