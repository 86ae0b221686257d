/**
 * Files: rows in PostgreSQL, bytes in blob storage. The row is inserted only
 * after the blob is committed, so a row always has its bytes; a failed write
 * leaves neither. Files are private: every lookup is by (owner, id).
 *
 * A job's output belongs to the user only once the job succeeded: the job's
 * final state commits together with its charge, so every lookup also asks
 * that the producing job is `succeeded` (OUTPUT_VISIBLE). An output of a job
 * that failed, was cancelled or timed out is never visible, even for a moment;
 * it is removed at once when the abort is seen while writing it, and otherwise
 * by the scheduler's prune-job-outputs task.
 */
import { sql } from "../db/sql";
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { DataSource } from "typeorm";
import { FileEntity, type StoredFile } from "../entities/file";
import { cursorTs, decodeCursor, type Page, toPage } from "../lib/pagination";
import { derivedId, UUID_RE } from "../lib/ids";
import { toInt } from "../ledger/types";
import type { BlobStorage } from "./storage";
import { writeBlob } from "./write-blob";

/** A file as the API shows it. */
export interface FileView {
  id: string;
  name: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  source_job_id: string | null;
  created_at: string;
}

export function toFileView(f: StoredFile): FileView {
  return {
    id: f.id,
    name: f.name,
    content_type: f.contentType,
    size_bytes: toInt(f.sizeBytes),
    sha256: f.sha256,
    source_job_id: f.sourceJobId,
    created_at: f.createdAt.toISOString(),
  };
}

export interface NewFile {
  userId: string;
  name: string;
  contentType: string;
  source: Readable;
  /** Refuse (BlobTooLarge) past this many bytes. */
  maxBytes: number;
  signal?: AbortSignal;
  transforms?: NodeJS.ReadWriteStream[];
}

/** SQL condition on a `files` row aliased `f`: an upload, or the output of a job that succeeded. */
export const OUTPUT_VISIBLE = `(f.source_job_id IS NULL OR EXISTS (SELECT 1 FROM jobs j WHERE j.id = f.source_job_id AND j.status = 'succeeded'))`;

function storageKey(id: string): string {
  return `files/${id.slice(0, 2)}/${id}`;
}

export class FileStore {
  constructor(
    readonly ds: DataSource,
    readonly storage: BlobStorage,
  ) {}

  /** Bytes of all the user's stored files (uploads and job outputs). */
  async usedBytes(userId: string): Promise<number> {
    const rows: { used: string }[] = await sql(this.ds, `SELECT coalesce(sum(size_bytes), 0)::text AS used FROM files WHERE user_id = $1`, [userId]);
    return Number(rows[0]!.used);
  }

  /** Remove a file: the row first (no reader finds it any more), then its blob. */
  async delete(file: StoredFile): Promise<void> {
    await sql(this.ds, `DELETE FROM files WHERE id = $1`, [file.id]);
    await this.storage.remove(file.storageKey);
  }

  /** Store an upload: stream → blob (hashed, limited) → row. */
  async create(f: NewFile): Promise<StoredFile> {
    return this.save(randomUUID(), null, f);
  }

  /**
   * Store a job's output. Its id derives from the job id, so a retried job
   * replaces its earlier output instead of leaving a second file.
   */
  async createJobOutput(jobId: string, f: NewFile): Promise<StoredFile> {
    return this.save(derivedId(jobId, "output"), jobId, f);
  }

  private async save(id: string, jobId: string | null, f: NewFile): Promise<StoredFile> {
    const key = storageKey(id);
    const blob = await writeBlob(this.storage, key, f.source, { maxBytes: f.maxBytes, signal: f.signal, transforms: f.transforms });
    // A job cancelled or timed out while its output was committed: nothing may be published for free.
    if (jobId && f.signal?.aborted) {
      await this.discard(id, key);
      throw f.signal.reason;
    }
    try {
      await sql(this.ds,
        `INSERT INTO files (id, user_id, name, content_type, size_bytes, sha256, storage_key, source_job_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET size_bytes = EXCLUDED.size_bytes, sha256 = EXCLUDED.sha256, created_at = now()`,
        [id, f.userId, f.name, f.contentType, blob.sizeBytes, blob.sha256, key, jobId],
      );
    } catch (err) {
      // No row, so no blob either (a job output's blob may be the retry's: the retry rewrites it).
      if (!jobId) await this.storage.remove(key).catch(() => undefined);
      throw err;
    }
    // Aborted while the row was written: the job will not succeed, so its output goes (it was never visible).
    if (jobId && f.signal?.aborted) {
      await this.discard(id, key);
      throw f.signal.reason;
    }
    return this.ds.getRepository(FileEntity).findOneByOrFail({ id });
  }

  /** Remove a job output's row, then its bytes (row first: a row never points at missing bytes for long). */
  private async discard(id: string, key: string): Promise<void> {
    await sql(this.ds, `DELETE FROM files WHERE id = $1 AND source_job_id IS NOT NULL`, [id]).catch(() => undefined);
    await this.storage.remove(key).catch(() => undefined);
  }

  /** The user's file, or null (also for another user's file, or an output of a job that did not succeed). */
  async findOwned(userId: string, id: string): Promise<StoredFile | null> {
    if (!UUID_RE.test(id)) return null;
    return this.ds
      .getRepository(FileEntity)
      .createQueryBuilder("f")
      .where("f.id = :id AND f.user_id = :userId", { id, userId })
      .andWhere(OUTPUT_VISIBLE)
      .getOne();
  }

  /**
   * Remove outputs of jobs that ended without succeeding (failed, cancelled,
   * timed out): bytes first, then the row, so a crash in between leaves a row
   * the next round removes rather than bytes nobody can find. Returns how many.
   */
  async pruneUnsucceededOutputs(limit = 500): Promise<number> {
    const rows: { id: string; storage_key: string }[] = await sql(this.ds,
      `SELECT f.id, f.storage_key FROM files f JOIN jobs j ON j.id = f.source_job_id
        WHERE j.status IN ('failed', 'canceled') ORDER BY f.created_at LIMIT $1`,
      [limit],
    );
    for (const r of rows) {
      await this.storage.remove(r.storage_key);
      await sql(this.ds,
        `DELETE FROM files f USING jobs j WHERE f.id = $1 AND j.id = f.source_job_id AND j.status IN ('failed', 'canceled')`,
        [r.id],
      );
    }
    return rows.length;
  }

  /** Stream a file's bytes; BlobMissing when storage lost them. */
  open(file: StoredFile): Promise<Readable> {
    return this.storage.createReader(file.storageKey);
  }

  async list(userId: string, q: { limit: number; cursor?: string }): Promise<Page<FileView>> {
    const cursor = decodeCursor(q.cursor);
    const params: unknown[] = [userId, q.limit + 1];
    let where = `f.user_id = $1 AND ${OUTPUT_VISIBLE}`;
    if (cursor) {
      params.push(cursor.createdAt, cursor.id);
      where += ` AND (f.created_at, f.id) < ($3::timestamptz, $4::uuid)`;
    }
    const rows: { id: string; cursor_ts: string }[] = await sql(this.ds,
      `SELECT f.id, ${cursorTs("f.created_at")} AS cursor_ts FROM files f WHERE ${where} ORDER BY f.created_at DESC, f.id DESC LIMIT $2`,
      params,
    );
    const files = rows.length ? await this.ds.getRepository(FileEntity).findBy(rows.map((r) => ({ id: r.id }))) : [];
    const byId = new Map(files.map((f) => [f.id, f]));
    return toPage(rows, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.id }), (r) => toFileView(byId.get(r.id)!));
  }
}
