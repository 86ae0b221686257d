/**
 * Reading an upload from an HTTP request: a raw body (any content type but
 * multipart) or multipart/form-data (the first file part). Either way the
 * bytes stream straight into blob storage — never buffered whole — and a
 * body past the limit is refused with 413 leaving no file and no row.
 */
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import busboy from "busboy";
import type { StoredFile } from "../entities/file";
import { AppError, InvalidRequest } from "../errors";
import type { FileStore } from "./store";
import { BlobTooLarge } from "./write-blob";

export interface UploadOptions {
  maxBytes: number;
  /** File name for a raw body (multipart parts carry their own). */
  name?: string;
}

export function tooLarge(maxBytes: number): AppError {
  return new AppError("payload_too_large", `The upload is larger than the limit of ${maxBytes} bytes.`, { max_bytes: maxBytes });
}

/** Store the request's upload for the user; throws 413 / 400 AppErrors. */
export async function receiveUpload(store: FileStore, userId: string, req: IncomingMessage, opts: UploadOptions): Promise<StoredFile> {
  const type = req.headers["content-type"] ?? "application/octet-stream";
  try {
    if (/^multipart\/form-data/i.test(type)) return await receiveMultipart(store, userId, req, opts);
    const declared = Number(req.headers["content-length"]);
    // Refuse before reading a byte when the client says up front it is too big.
    if (Number.isFinite(declared) && declared > opts.maxBytes) throw new BlobTooLarge(opts.maxBytes);
    return await store.create({ userId, name: opts.name ?? "upload", contentType: type.slice(0, 255), source: req, maxBytes: opts.maxBytes });
  } catch (err) {
    if (err instanceof BlobTooLarge) throw tooLarge(opts.maxBytes);
    if (req.destroyed && !(err instanceof AppError)) {
      throw new InvalidRequest("The upload was interrupted before it finished.", {}, { cause: err });
    }
    throw err;
  }
}

function receiveMultipart(store: FileStore, userId: string, req: IncomingMessage, opts: UploadOptions): Promise<StoredFile> {
  return new Promise<StoredFile>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 64 * 1024, parts: 50 } });
    } catch (err) {
      reject(new InvalidRequest("The multipart body has no usable boundary.", {}, { cause: err }));
      return;
    }
    let stored: Promise<StoredFile> | null = null;
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(bb);
      bb.destroy();
      reject(err);
    };

    bb.on("file", (_field: string, file: Readable, info: busboy.FileInfo) => {
      if (stored) return void file.resume(); // only the first file part counts
      const name = (info.filename ?? "").trim().slice(0, 255) || opts.name || "upload";
      stored = store.create({ userId, name, contentType: (info.mimeType || "application/octet-stream").slice(0, 255), source: file, maxBytes: opts.maxBytes });
      stored.catch(fail);
    });
    bb.on("error", (err: unknown) => fail(new InvalidRequest("The multipart body could not be read.", {}, { cause: err })));
    // 'close': the whole body is parsed; the stored file (if any) is complete or failing.
    bb.on("close", () => {
      if (!stored) return fail(new InvalidRequest("The multipart body has no file part.", { issues: [{ path: "file", message: "missing" }] }));
      stored.then((f) => {
        if (settled) return;
        settled = true;
        resolve(f);
      }, fail);
    });
    req.on("error", fail);
    req.pipe(bb);
  });
}
