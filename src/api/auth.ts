/**
 * Bearer API keys, or the dashboard's session cookie standing for one. The
 * user is attached to the request; routes read it with `currentUser(req)`.
 * Unknown or revoked keys are 401, wrong role 403.
 */
import type { Request, RequestHandler } from "express";
import type { AppContext } from "../context";
import type { User } from "../entities/user";
import { sessionKeyHash } from "../dashboard/sessions";
import { AppError } from "../errors";
import { hashApiKey } from "../users/api-keys";
import { LastUsedRecorder } from "../users/last-used";
import { findUserByKeyHash } from "../users/users";
import { CSRF_HEADER, hasCsrfHeader, sessionTokenOf } from "./session-cookie";

const USER = Symbol("holdfast.user");
const KEY_HASH = Symbol("holdfast.keyHash");
type WithUser = Request & { [USER]?: User; [KEY_HASH]?: string };
const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function authenticate(ctx: AppContext): RequestHandler {
  const cache = ctx.authCache;
  // One per app (its authenticate middleware): the throttle is per process.
  const lastUsed = new LastUsedRecorder(ctx);
  return async (req, _res, next) => {
    const header = req.get("authorization");
    const m = header ? BEARER.exec(header) : null;
    // No Authorization header: a dashboard session (src/api/session-cookie.ts) may stand in for the key.
    const keyHash = m ? hashApiKey(m[1]!) : await sessionKeyHashOf(ctx, req, header);
    // From memory for up to AUTH_CACHE_TTL_MS (see src/users/key-cache.ts for what that allows).
    const user = await cache.get(keyHash, () => findUserByKeyHash(ctx.ds, keyHash));
    if (!user) throw new AppError("unauthenticated", "This API key is unknown or has been revoked.");
    (req as WithUser)[USER] = user;
    (req as WithUser)[KEY_HASH] = keyHash;
    lastUsed.touch(keyHash); // not awaited: at most one small write per key per minute
    next();
  };
}

/** The key hash behind the request's session cookie; only with the CSRF header (see session-cookie.ts). */
async function sessionKeyHashOf(ctx: AppContext, req: Request, authorization: string | undefined): Promise<string> {
  const token = authorization === undefined ? sessionTokenOf(req) : null;
  if (!token) throw new AppError("unauthenticated", "Send your API key as `Authorization: Bearer <key>`.");
  if (!hasCsrfHeader(req)) throw new AppError("unauthenticated", `A dashboard session needs the ${CSRF_HEADER} header.`);
  const keyHash = await sessionKeyHash(ctx, token);
  if (!keyHash) throw new AppError("unauthenticated", "Your session has ended; sign in again.");
  return keyHash;
}

export function currentUser(req: Request): User {
  const u = (req as WithUser)[USER];
  if (!u) throw new AppError("unauthenticated", "Authentication required.");
  return u;
}

/** sha256 of the caller's API key (what is stored): identifies the key without keeping it, e.g. for rate limits. */
export function currentKeyHash(req: Request): string {
  const h = (req as WithUser)[KEY_HASH];
  if (!h) throw new AppError("unauthenticated", "Authentication required.");
  return h;
}

/** The caller's key hash when the request was authenticated, else undefined (never throws: for error paths). */
export function keyHashIfAny(req: Request): string | undefined {
  return (req as WithUser)[KEY_HASH];
}

/** The caller when the request was authenticated, else undefined (never throws: for error paths). */
export function userIfAny(req: Request): User | undefined {
  return (req as WithUser)[USER];
}

export function requireAdmin(): RequestHandler {
  return (req, _res, next) => {
    if (currentUser(req).role !== "admin") throw new AppError("forbidden", "This needs an admin API key.");
    next();
  };
}
