/**
 * Files as the API sees them: upload, read metadata, list, download. Routes
 * call these and nothing else. Files are private: another user's file is a
 * 404, indistinguishable from a missing one.
 */
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { z } from "zod";
import type { AppContext } from "../context";
import type { StoredFile } from "../entities/file";
import type { User } from "../entities/user";
import { NotFound } from "../errors";
import type { Page } from "../lib/pagination";
import { LocalDiskStorage } from "./storage";
import { type FileView, FileStore, toFileView } from "./store";
import { receiveUpload } from "./upload";

/**
 * The process's file store: the one builtinServices put in ctx.services, or
 * (for a context built without it) one on STORAGE_DIR, kept for next time.
 */
export function fileStore(ctx: AppContext): FileStore {
  if (!(ctx.services.files instanceof FileStore)) ctx.services.files = new FileStore(ctx.ds, new LocalDiskStorage(ctx.config.STORAGE_DIR));
  return ctx.services.files as FileStore;
}

export const uploadQuery = z
  .object({ name: z.string().trim().min(1).max(255, "at most 255 characters").optional() })
  .strict();

export const listFilesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

export async function uploadFile(ctx: AppContext, user: User, req: IncomingMessage, q: z.infer<typeof uploadQuery>): Promise<FileView> {
  const f = await receiveUpload(fileStore(ctx), user.id, req, { maxBytes: ctx.config.MAX_UPLOAD_BYTES, name: q.name });
  ctx.logger.info({ fileId: f.id, userId: user.id, bytes: f.sizeBytes }, "file uploaded");
  return toFileView(f);
}

async function owned(ctx: AppContext, user: User, id: string): Promise<StoredFile> {
  const f = await fileStore(ctx).findOwned(user.id, id);
  if (!f) throw new NotFound("File");
  return f;
}

export async function getFile(ctx: AppContext, user: User, id: string): Promise<FileView> {
  return toFileView(await owned(ctx, user, id));
}

export async function listFiles(ctx: AppContext, user: User, q: z.infer<typeof listFilesQuery>): Promise<Page<FileView>> {
  return fileStore(ctx).list(user.id, q);
}

export async function openFileContent(ctx: AppContext, user: User, id: string): Promise<{ file: FileView; content: Readable }> {
  const f = await owned(ctx, user, id);
  return { file: toFileView(f), content: await fileStore(ctx).open(f) };
}
