/**
 * The dashboard's session cookie and its CSRF rule.
 *
 * The cookie is HttpOnly (scripts cannot read it) and SameSite=Strict (the
 * browser does not send it on cross-site requests). On top of that, /api/v1
 * accepts it only together with the `X-Holdfast-CSRF` header: a custom header
 * makes a request "non-simple", which another origin's page can only send
 * after a CORS preflight this API never grants — so a forged form or fetch
 * from elsewhere never authenticates, even in a browser that ignores SameSite.
 */
import { parse as parseCookies, serialize } from "cookie";
import type { Request, Response } from "express";

export const SESSION_COOKIE = "holdfast_session";
export const CSRF_HEADER = "X-Holdfast-CSRF";

export function sessionTokenOf(req: Request): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  return parseCookies(header)[SESSION_COOKIE] || null;
}

export function hasCsrfHeader(req: Request): boolean {
  return req.get(CSRF_HEADER) !== undefined;
}

export function setSessionCookie(req: Request, res: Response, token: string, expiresAt: Date): void {
  res.append("Set-Cookie", serialize(SESSION_COOKIE, token, { httpOnly: true, sameSite: "strict", path: "/", expires: expiresAt, secure: req.secure }));
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.append("Set-Cookie", serialize(SESSION_COOKIE, "", { httpOnly: true, sameSite: "strict", path: "/", expires: new Date(0), secure: req.secure }));
}
