/**
 * The `file` kind: run an operation over a file the user uploaded (or a job
 * produced). Priced per started MB of input plus the operation's fee.
 *
 * Failure classes: a file the operation cannot parse (bad CSV, not gzip) or
 * output past the size limit is the user's failure, charged for the bytes
 * read so far (policy `measured`); storage errors are the platform's:
 * retried, refunded when attempts run out. Progress is bytes read / size.
 */
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { InvalidRequest, Unavailable } from "../../../errors";
import { FileStore, toFileView } from "../../../files/store";
import { BlobTooLarge } from "../../../files/write-blob";
import { UUID_RE } from "../../../lib/ids";
import { toInt } from "../../../ledger/types";
import { SystemError, UserError } from "../../run-errors";
import type { JobKind, KindServices } from "../../kind";
import { FILE_OPERATIONS, type FileOperation, filePrice, PRICES } from "../../price-list";
import { OPERATIONS } from "./operations";

export interface FileInput {
  file_id: string;
  operation: FileOperation;
}

export type FileResult = { operation: FileOperation; input: { file_id: string; size_bytes: number } } & Record<string, unknown>;

export interface FileKindOptions {
  /** Hard limit per attempt in ms (default 10 minutes: 512 MiB at under 1 MB/s). */
  timeoutMs?: number;
  /** Largest file an operation may produce, in bytes (gunzip of a small bomb stops here). */
  maxOutputBytes: number;
}

export const fileInput: z.ZodType<FileInput> = z
  .object({
    file_id: z.string().regex(UUID_RE, "must be a file id (a UUID from POST /api/v1/files)"),
    operation: z.enum(FILE_OPERATIONS as [FileOperation, ...FileOperation[]], {
      error: `must be one of: ${FILE_OPERATIONS.join(", ")}`,
    }),
  })
  .strict();

/** The file store kinds share (built by builtinServices). */
export function fileStoreOf(services: KindServices): FileStore | null {
  return services.files instanceof FileStore ? services.files : null;
}

/** Counts bytes as they pass, for progress and for the measured charge. */
class ByteCounter extends Transform {
  bytes = 0;
  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes(this.bytes);
    cb(null, chunk);
  }
}

export function fileKind(opts: FileKindOptions): JobKind<FileInput, FileResult, "file"> {
  return {
    name: "file",
    description: "Runs a streaming operation (csv-to-json, gzip, gunzip, sha256, line-count) over one of your files.",
    input: fileInput,
    creditType: PRICES.file.creditType,
    onUserFailure: "measured",
    async estimate(input, ctx) {
      const store = fileStoreOf(ctx.services);
      if (!store) throw new Unavailable("File jobs are unavailable: no file storage is configured.");
      const file = await store.findOwned(ctx.userId, input.file_id);
      if (!file) {
        throw new InvalidRequest("There is no file with this id.", { issues: [{ path: "input.file_id", message: "no such file" }] });
      }
      return filePrice(toInt(file.sizeBytes), input.operation);
    },
    timeoutMs: () => opts.timeoutMs ?? 10 * 60_000,
    async run(input, rc) {
      const store = fileStoreOf(rc.services);
      if (!store) throw new SystemError("No file storage is configured on this worker.");
      const file = await store.findOwned(rc.userId, input.file_id);
      if (!file) throw new UserError("The file no longer exists.", { usage: 0 });
      const size = toInt(file.sizeBytes);
      const op = OPERATIONS[input.operation];
      let source: Readable;
      try {
        source = await store.open(file);
      } catch (err) {
        throw new SystemError(`The file could not be read from storage: ${(err as Error).message}`, { cause: err });
      }
      const counter = new ByteCounter((n) => rc.progress(Math.min(99, size > 0 ? (n / size) * 100 : 0)));
      const base = { operation: input.operation, input: { file_id: file.id, size_bytes: size } };
      try {
        if (op.type === "produce") {
          const t = op.transforms();
          const out = await store.createJobOutput(rc.jobId, {
            userId: rc.userId, name: op.outputName(file.name), contentType: op.contentType, source,
            transforms: [counter, ...t.streams], maxBytes: opts.maxOutputBytes, signal: rc.signal,
          });
          const v = toFileView(out);
          const output = { file_id: v.id, name: v.name, content_type: v.content_type, size_bytes: v.size_bytes, sha256: v.sha256 };
          return { result: { ...base, ...t.summary(), output }, usage: filePrice(counter.bytes, input.operation).credits };
        }
        const sink = op.sink();
        await pipeline([source, counter, sink.stream], { signal: rc.signal });
        return { result: { ...base, ...sink.summary() }, usage: filePrice(counter.bytes, input.operation).credits };
      } catch (err) {
        if (rc.signal.aborted) throw rc.signal.reason;
        const used = filePrice(counter.bytes, input.operation).credits;
        const message = err instanceof Error ? err.message : String(err);
        if (op.isInputError(err)) {
          throw new UserError(`The file cannot be processed by ${input.operation}: ${message}`, { usage: used, result: base });
        }
        if (err instanceof BlobTooLarge) {
          throw new UserError(`The ${input.operation} output would be larger than ${opts.maxOutputBytes} bytes.`, { usage: used, result: base });
        }
        throw new SystemError(`Storage failed during ${input.operation}: ${message}`, { cause: err });
      } finally {
        source.destroy();
      }
    },
  };
}
