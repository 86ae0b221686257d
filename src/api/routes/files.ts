/**
 * Files: upload (raw body or multipart), metadata, list, download, delete.
 *
 * Mounted with the public routers — before the JSON body parser — and
 * authenticated per route, so an upload streams to storage untouched whatever
 * its Content-Type (application/json included) instead of being parsed and
 * capped at the JSON body limit.
 */
import { Router } from "express";
import { pipeline } from "node:stream/promises";
import type { AppContext } from "../../context";
import { AppError } from "../../errors";
import * as files from "../../files/service";
import { authenticate, currentUser } from "../auth";
import { keyRateLimit } from "../rate-limit";
import { parse } from "../validate";

/** `filename*` per RFC 6266/5987, so any name survives the header. */
function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function filesRouter(ctx: AppContext): Router {
  const r = Router();
  const auth = authenticate(ctx);

  const uploadLimit = keyRateLimit(ctx, { name: "ratelimit-upload", points: ctx.config.UPLOAD_RATE_LIMIT_PER_MINUTE, what: "uploads" });

  r.post("/files", auth, uploadLimit, async (req, res) => {
    const q = parse(files.uploadQuery, req.query, "query");
    try {
      res.status(201).json(await files.uploadFile(ctx, currentUser(req), req, q));
    } catch (err) {
      // Refused mid-body: close the connection rather than read the rest of it.
      if (err instanceof AppError && err.code === "payload_too_large") res.set("Connection", "close");
      throw err;
    }
  });

  r.get("/files", auth, async (req, res) => {
    res.json(await files.listFiles(ctx, currentUser(req), parse(files.listFilesQuery, req.query, "query")));
  });

  r.get("/files/:id", auth, async (req, res) => {
    res.json(await files.getFile(ctx, currentUser(req), String(req.params.id)));
  });

  r.delete("/files/:id", auth, async (req, res) => {
    await files.deleteFile(ctx, currentUser(req), String(req.params.id));
    res.status(204).end();
  });

  r.get("/files/:id/content", auth, async (req, res) => {
    const { file, content } = await files.openFileContent(ctx, currentUser(req), String(req.params.id));
    res.set({
      "Content-Type": file.content_type,
      "Content-Length": String(file.size_bytes),
      "Content-Disposition": attachment(file.name),
      "X-Content-Type-Options": "nosniff",
      ETag: `"${file.sha256}"`,
    });
    await pipeline(content, res);
  });

  return r;
}
