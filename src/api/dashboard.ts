/**
 * The web dashboard, served by the API process itself:
 *
 *   /assets/*        Vite's content-hashed files: cached for a year, immutable
 *   / and /admin …   index.html (the single-page app; its router picks the page),
 *                    never cached, so a deploy is seen on the next load
 *   /admin/queues    Bull Board, for an admin's dashboard session only
 *
 * Every response carries a strict Content-Security-Policy: scripts and styles
 * from this origin only, nothing inline, no framing. The app itself talks to
 * the public /api/v1 with the session cookie (src/api/session-cookie.ts).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import express, { type RequestHandler, Router } from "express";
import type { AppContext } from "../context";
import { sessionKeyHash } from "../dashboard/sessions";
import { findUserByKeyHash } from "../users/users";
import { sessionTokenOf } from "./session-cookie";

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Bull Board is a third-party page with inline style attributes; scripts stay same-origin only. */
const BULL_BOARD_CSP = DASHBOARD_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace("base-uri 'none'", "base-uri 'self'");

/** Paths the single-page app routes itself (anything else falls through to the JSON 404). */
const SPA_PATHS = /^\/(?:$|usage|jobs|transactions|buy|disputes|admin)(?:\/|$)/;

export function dashboardRouter(ctx: AppContext): Router {
  const r = Router();
  const dir = path.resolve(ctx.config.DASHBOARD_DIR);
  const built = existsSync(path.join(dir, "index.html"));

  r.use("/admin/queues", bullBoard(ctx));

  r.use((_req, res, next) => {
    res.set({ "Content-Security-Policy": DASHBOARD_CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY" });
    next();
  });
  if (!built) {
    r.get(SPA_PATHS, (_req, res) => {
      res.status(503).type("text/plain").send("The dashboard is not built: run `npm run build` (npm start does it for you).\n");
    });
    return r;
  }
  r.use(
    "/assets",
    express.static(path.join(dir, "assets"), { immutable: true, maxAge: "365d", index: false, fallthrough: false }),
  );
  r.get(SPA_PATHS, (_req, res) => {
    res.set("Cache-Control", "no-cache");
    res.sendFile(path.join(dir, "index.html"));
  });
  r.use(express.static(dir, { index: false, maxAge: 0, setHeaders: (res) => res.setHeader("Cache-Control", "no-cache") }));
  return r;
}

/**
 * Bull Board behind the admin's dashboard session. Page loads are plain
 * navigations (no custom header possible), so the cookie alone counts here —
 * SameSite=Strict keeps other sites from sending it — and a state-changing
 * call must also come from this origin (Origin checked against Host).
 */
function bullBoard(ctx: AppContext): Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath("/admin/queues");
  const q = ctx.queues;
  createBullBoard({
    queues: [q.jobs, q.mail, q.stripeEvents, q.maintenance].map((queue) => new BullMQAdapter(queue, { readOnlyMode: false })),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: "Holdfast queues" } },
  });
  const guard: RequestHandler = async (req, res, next) => {
    res.set({ "Content-Security-Policy": BULL_BOARD_CSP, "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer" });
    const token = sessionTokenOf(req);
    const keyHash = token ? await sessionKeyHash(ctx, token) : null;
    const user = keyHash ? await findUserByKeyHash(ctx.ds, keyHash) : null;
    if (!user) return res.redirect(303, "/admin");
    if (user.role !== "admin") return res.status(403).type("text/plain").send("Forbidden: the queue dashboard is for admins.\n");
    const origin = req.get("origin");
    if (req.method !== "GET" && req.method !== "HEAD" && origin !== `${req.protocol}://${req.get("host")}`) {
      return res.status(403).type("text/plain").send("Forbidden: cross-origin request.\n");
    }
    next();
  };
  const r = Router();
  r.use(guard, adapter.getRouter() as RequestHandler);
  return r;
}
