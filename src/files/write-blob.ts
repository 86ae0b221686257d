/**
 * Stream bytes into blob storage while counting and hashing them, stopping
 * at a size limit. Memory stays flat whatever the size: bytes flow through in
 * chunks with back-pressure, and only the running sha256 is kept.
 */
import { createHash } from "node:crypto";
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BlobStorage } from "./storage";

/** The stream went past the limit; the blob was discarded. */
export class BlobTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the content is larger than ${maxBytes} bytes`);
    this.name = "BlobTooLarge";
  }
}

/** Counts and hashes what passes through; errors with BlobTooLarge past `maxBytes`. */
export class DigestMeter extends Transform {
  bytes = 0;
  private readonly hash = createHash("sha256");

  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY, private readonly onBytes?: (total: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return cb(new BlobTooLarge(this.maxBytes));
    this.hash.update(chunk);
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }

  digest(): string {
    return this.hash.digest("hex");
  }
}

export interface WrittenBlob {
  sizeBytes: number;
  sha256: string;
}

/**
 * Write `source` (possibly through `transforms`) to `key`. On any failure —
 * the source, a transform, storage, the limit, the signal — the partial blob
 * is aborted and the error rethrown; on success it is committed.
 */
export async function writeBlob(
  storage: BlobStorage,
  key: string,
  source: Readable,
  opts: { maxBytes?: number; signal?: AbortSignal; transforms?: NodeJS.ReadWriteStream[] } = {},
): Promise<WrittenBlob> {
  const writer = await storage.createWriter(key);
  const meter = new DigestMeter(opts.maxBytes);
  try {
    await pipeline([source, ...(opts.transforms ?? []), meter, writer.stream], { signal: opts.signal });
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return { sizeBytes: meter.bytes, sha256: meter.digest() };
}
