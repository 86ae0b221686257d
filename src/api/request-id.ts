/**
 * Every request gets an id of the API's own making, sent back as the
 * `X-Request-Id` response header, written to the audit log with each admin
 * action and quoted in logs, so a support question ("request X changed my
 * balance") leads to one row. A client's own X-Request-Id is not trusted:
 * the audit log must not carry ids a caller chose.
 */
import { randomUUID } from "node:crypto";
import type { Request, RequestHandler } from "express";

const REQUEST_ID = Symbol("holdfast.requestId");
type WithRequestId = Request & { [REQUEST_ID]?: string };

export const REQUEST_ID_HEADER = "X-Request-Id";

export function assignRequestId(): RequestHandler {
  return (req, res, next) => {
    const id = randomUUID();
    (req as WithRequestId)[REQUEST_ID] = id;
    res.set(REQUEST_ID_HEADER, id);
    next();
  };
}

/** The id assignRequestId gave this request (null outside the API, e.g. in a direct service call). */
export function requestIdOf(req: Request): string | null {
  return (req as WithRequestId)[REQUEST_ID] ?? null;
}
