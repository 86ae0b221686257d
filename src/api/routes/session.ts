/**
 * Dashboard sign-in and sign-out (see src/dashboard/sessions.ts and
 * src/api/session-cookie.ts). Mounted with the public routers: signing in is
 * how a browser gets authenticated in the first place.
 *
 *   POST   /api/v1/session  { api_key } | { sign_in_token }  → 201, sets the cookie
 *   GET    /api/v1/session  → who the session (or bearer key) is
 *   DELETE /api/v1/session  → 204, ends it and clears the cookie
 *
 * Every call needs the X-Holdfast-CSRF header, so another site cannot sign a
 * browser in to an account of its choosing (login CSRF) or out.
 */
import express, { Router } from "express";
import { z } from "zod";
import type { AppContext } from "../../context";
import { userView } from "../../credits/admin-users";
import { endSession, openSessionWithKey, openSessionWithSignInToken } from "../../dashboard/sessions";
import { AppError } from "../../errors";
import { authenticate, currentUser } from "../auth";
import { clearSessionCookie, CSRF_HEADER, hasCsrfHeader, sessionTokenOf, setSessionCookie } from "../session-cookie";
import { parse } from "../validate";

export const signInBody = z
  .union([
    z.object({ api_key: z.string().trim().min(1, "is required").max(500) }).strict(),
    z.object({ sign_in_token: z.string().trim().min(1, "is required").max(500) }).strict(),
  ])
  .meta({ id: "SignInRequest" });

export function sessionRouter(ctx: AppContext): Router {
  const r = Router();
  const csrf: express.RequestHandler = (req, _res, next) => {
    if (!hasCsrfHeader(req)) throw new AppError("forbidden", `Send the ${CSRF_HEADER} header with dashboard session calls.`);
    next();
  };

  r.post("/session", csrf, express.json({ limit: 4096 }), async (req, res) => {
    const body = parse(signInBody, req.body ?? {});
    const s = "api_key" in body ? await openSessionWithKey(ctx, body.api_key) : await openSessionWithSignInToken(ctx, body.sign_in_token);
    setSessionCookie(req, res, s.token, s.expiresAt);
    res.status(201).json({ user: userView(s.user), expires_at: s.expiresAt.toISOString() });
  });

  r.get("/session", csrf, authenticate(ctx), (req, res) => {
    res.json({ user: userView(currentUser(req)) });
  });

  r.delete("/session", csrf, async (req, res) => {
    const token = sessionTokenOf(req);
    if (token) await endSession(ctx, token);
    clearSessionCookie(req, res);
    res.status(204).end();
  });

  return r;
}
