/**
 * holdfastMeter: Express (or plain node:http) middleware that meters an
 * operator's own endpoint. Before the handler: hold the cost for the user;
 * when the response finishes 2xx (and 4xx with `chargeClientErrors`):
 * capture; on 5xx or a connection closed before the end: release. Short →
 * 402 with the API's own error body, and the handler never runs.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HoldfastClient } from "./client.js";
import { HoldfastError, InsufficientCreditsError } from "./errors.js";
import type { Hold } from "./types.js";

export interface MeterOptions<Req> {
  credits: (req: Req) => number;
  /** The Holdfast user to charge (the client's key must be a service or admin key to charge others). */
  userId: (req: Req) => string;
  description?: string | ((req: Req) => string);
  /** Capture on 4xx too (default false: the client's mistake costs nothing). */
  chargeClientErrors?: boolean;
  /** Hold lifetime if this process dies mid-request (default 3600 s). */
  ttlSeconds?: number;
  creditType?: string;
  /** Called when a capture or release fails after the response was sent (default: ignored; the hold then expires). */
  onSettleError?: (err: unknown, hold: Hold) => void;
}

/** The hold of the current request, for handlers that want to show it. */
export const HOLD = Symbol.for("holdfast.hold");

export function holdfastMeter<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  hf: HoldfastClient, opts: MeterOptions<Req>,
): (req: Req, res: Res, next: (err?: unknown) => void) => Promise<void> {
  return async (req, res, next) => {
    let credits: number;
    let client: HoldfastClient;
    let hold: Hold;
    try {
      credits = opts.credits(req);
      client = hf.forUser(opts.userId(req));
      const description = typeof opts.description === "function" ? opts.description(req) : opts.description ?? `${req.method} ${req.url}`;
      hold = await client.holds.create({ credits, description: description.slice(0, 500), ttlSeconds: opts.ttlSeconds, creditType: opts.creditType });
    } catch (err) {
      if (err instanceof InsufficientCreditsError || (err instanceof HoldfastError && err.status === 403 && err.code === "account_paused")) {
        res.statusCode = err.status;
        res.setHeader("content-type", "application/json; charset=utf-8");
        res.end(JSON.stringify({ error: { code: err.code, message: err.message, details: err.details } }));
        return;
      }
      next(err);
      return;
    }
    (req as unknown as Record<symbol, Hold>)[HOLD] = hold;
    let settled = false;
    const settle = (capture: boolean) => {
      if (settled) return;
      settled = true;
      const p = capture ? client.holds.capture(hold.id, { credits }) : client.holds.release(hold.id);
      p.catch((err) => opts.onSettleError?.(err, hold));
    };
    res.on("finish", () => {
      const s = res.statusCode;
      settle((s >= 200 && s < 300) || (opts.chargeClientErrors === true && s >= 400 && s < 500));
    });
    // Closed before the response finished: the client got nothing, so nothing is charged.
    res.on("close", () => settle(false));
    next();
  };
}
