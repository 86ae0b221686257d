/** The caller's profile and API keys; admins may revoke any key. Thin: parse, one call, reply. */
import { Router } from "express";
import type { AppContext } from "../../context";
import { createKey, listKeys, revokeKey } from "../../users/keys";
import { profile } from "../../billing/profile";
import { currentUser, requireAdmin } from "../auth";
import { createKeyBody, keyIdParam, pageQuery } from "../schemas";
import { parse } from "../validate";

export function keysRouter(ctx: AppContext): Router {
  const r = Router();

  r.get("/me", async (req, res) => {
    res.json(await profile(ctx, currentUser(req)));
  });

  r.get("/keys", async (req, res) => {
    res.json(await listKeys(ctx, currentUser(req).id, parse(pageQuery, req.query, "query")));
  });

  r.post("/keys", async (req, res) => {
    res.status(201).json(await createKey(ctx, currentUser(req).id, parse(createKeyBody, req.body).name));
  });

  r.delete("/keys/:id", async (req, res) => {
    await revokeKey(ctx, parse(keyIdParam, req.params, "path").id, currentUser(req).id);
    res.status(204).end();
  });

  r.delete("/admin/keys/:id", requireAdmin(), async (req, res) => {
    await revokeKey(ctx, parse(keyIdParam, req.params, "path").id, null);
    res.status(204).end();
  });

  return r;
}
