/** What every Stripe event handler gets (webhook-handlers.ts, clawbacks.ts): the transaction that also marks the event processed. */
import type { EntityManager } from "typeorm";
import type { AppContext } from "../context";
import type { MailBatch } from "../mail/notifications";
import type { Stripe } from "./stripe-client";

export interface HandlerContext {
  ctx: AppContext;
  m: EntityManager;
  stripe: Stripe;
  mail: MailBatch;
}
