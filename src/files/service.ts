/**
 * Files as the API sees them: upload, read metadata, list, download. Routes
 * call these and nothing else. Files are private: another user's file is a
 * 404, indistinguishable from a missing one.
 */
import { sql } from "../db/sql";
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { z } from "zod";
import type { AppContext } from "../context";
import type { StoredFile } from "../entities/file";
import type { User } from "../entities/user";
import { AppError, InvalidState, NotFound } from "../errors";
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

/**
 * Upload within the user's storage quota (STORAGE_QUOTA_BYTES over uploads
 * and job outputs): the upload may be at most what is left, and at most
 * MAX_UPLOAD_BYTES. Beyond the quota → 413 payload_too_large saying so, with
 * `details.reason = "storage_quota"` (413 rather than 402: more credit does
 * not buy more space; deleting files does). Two uploads at the same moment
 * may each use what was left, so the quota can be passed by at most the
 * uploads in flight.
 */
export async function uploadFile(ctx: AppContext, user: User, req: IncomingMessage, q: z.infer<typeof uploadQuery>): Promise<FileView> {
  const quota = ctx.config.STORAGE_QUOTA_BYTES;
  let maxBytes = ctx.config.MAX_UPLOAD_BYTES;
  let used = 0;
  if (quota > 0) {
    used = await fileStore(ctx).usedBytes(user.id);
    if (quota - used < maxBytes) maxBytes = Math.max(0, quota - used);
  }
  const quotaBound = quota > 0 && maxBytes < ctx.config.MAX_UPLOAD_BYTES;
  if (quotaBound && maxBytes === 0) throw overQuota(quota, used);
  let f: StoredFile;
  try {
    f = await receiveUpload(fileStore(ctx), user.id, req, { maxBytes, name: q.name });
  } catch (err) {
    if (quotaBound && err instanceof AppError && err.code === "payload_too_large") throw overQuota(quota, used);
    throw err;
  }
  ctx.logger.info({ fileId: f.id, userId: user.id, bytes: f.sizeBytes }, "file uploaded");
  return toFileView(f);
}

function overQuota(quota: number, used: number): AppError {
  return new AppError("payload_too_large",
    `This upload would exceed your storage quota: ${used} of ${quota} bytes are used. Delete files you no longer need (DELETE /api/v1/files/:id) and retry.`,
    { reason: "storage_quota", quota_bytes: quota, used_bytes: used, available_bytes: Math.max(0, quota - used) });
}

/**
 * Delete one of the user's files: the row, then the blob. A file that a
 * queued or running job will read → 409 invalid_state (cancel the job or
 * wait for it). Another user's file is a 404.
 */
export async function deleteFile(ctx: AppContext, user: User, id: string): Promise<void> {
  const f = await owned(ctx, user, id);
  const inUse: { id: string; status: string }[] = await sql(ctx.ds,
    `SELECT id, status FROM jobs WHERE user_id = $1 AND kind = 'file' AND status IN ('queued', 'running') AND input->>'file_id' = $2 LIMIT 1`,
    [f.userId, f.id],
  );
  if (inUse[0]) {
    throw new InvalidState(`The file is in use by job ${inUse[0].id} (${inUse[0].status}); cancel the job or wait for it to finish.`, {
      job_id: inUse[0].id, job_status: inUse[0].status,
    });
  }
  await fileStore(ctx).delete(f);
  ctx.logger.info({ fileId: f.id, userId: f.userId }, "file deleted");
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
