/**
 * Every response carries `X-Request-Id`: the caller's own (when it sent a
 * sane one, so a client can correlate its retries) or a fresh UUID. The SDK
 * puts it on every error as `requestId`, for support requests.
 */
import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";

const SANE = /^[\x21-\x7e]{1,128}$/;

export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.get("x-request-id");
    res.set("X-Request-Id", given && SANE.test(given) ? given : randomUUID());
    next();
  };
}
