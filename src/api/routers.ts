/**
 * Every router beyond jobs, mounted under /api/v1 by createApp. Add a line
 * here when an area gets its own router file.
 */
import { adminRouter } from "./routes/admin";
import { batchesRouter } from "./routes/batches";
import { eventsRouter } from "./routes/events";
import { filesRouter } from "./routes/files";
import { pricingRouter } from "./routes/price-list";
import { creditsRouter } from "./routes/credits";
import { billingRouter } from "./routes/billing";
import { stripeWebhookRouter } from "./routes/stripe-webhook";
import { disputesRouter } from "./routes/disputes";
import { sessionRouter } from "./routes/session";
import { lotsRouter } from "./routes/lots";
import type { RouterFactory } from "./services";
import { holdsRouter } from "./routes/holds";
import { keysRouter } from "./routes/keys";
import { alertsRouter } from "./routes/alerts";
import { limitsRouter } from "./routes/limits";

/** Mounted after authentication. */
export const authenticatedRouters: RouterFactory[] = [
  creditsRouter,
  adminRouter,
  batchesRouter,
  (ctx) => eventsRouter(ctx),
  pricingRouter,
  billingRouter,
  disputesRouter,
  lotsRouter,
  holdsRouter,
  keysRouter,
  alertsRouter,
  limitsRouter,
];

/** Mounted before authentication (e.g. Stripe's webhook, which is signed, not keyed). */
export const publicRouters: RouterFactory[] = [
  // Authenticates per route; before the JSON parser so uploads stream untouched.
  filesRouter,
  stripeWebhookRouter, // raw body: the Stripe signature covers the exact bytes
  sessionRouter, // dashboard sign-in: how a browser gets authenticated in the first place
];
