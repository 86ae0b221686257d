/**
 * The file operations. Every one streams: bytes flow through in chunks with
 * back-pressure, so memory stays flat whatever the file's size. An operation
 * either produces a new file (csv-to-json, gzip, gunzip) or measures the
 * input and answers in the job's result (sha256, line-count — a file holding
 * one number would only be a detour).
 *
 * `isInputError` says which errors mean "this file cannot be processed" (the
 * user's failure): a CSV the parser rejects, data that is not gzip. Every
 * other error — storage, disk, a bug — is the platform's.
 */
import { createHash } from "node:crypto";
import { Transform, type TransformCallback, Writable } from "node:stream";
import { createGunzip, createGzip } from "node:zlib";
import { CsvError, parse as csvParse } from "csv-parse";
import type { FileOperation } from "../../price-list";

/** Largest CSV record csv-to-json accepts, in bytes (a runaway quote would otherwise grow without bound). */
export const MAX_CSV_RECORD_BYTES = 1024 * 1024;

export interface ProducingOperation {
  type: "produce";
  /** Fresh transforms for one run, input bytes in → output bytes out. */
  transforms(): { streams: NodeJS.ReadWriteStream[]; summary(): Record<string, unknown> };
  outputName(inputName: string): string;
  contentType: string;
}

export interface MeasuringOperation {
  type: "measure";
  /** A fresh sink for one run and how to read its answer once it finished. */
  sink(): { stream: Writable; summary(): Record<string, unknown> };
}

export type Operation = (ProducingOperation | MeasuringOperation) & { isInputError(err: unknown): boolean };

const never = () => false;
const zlibDataError = (err: unknown) => /^Z_(DATA|BUF)_ERROR$/.test(String((err as NodeJS.ErrnoException)?.code));

/** Object rows in, a pretty JSON array out — one row at a time. */
class JsonArrayWriter extends Transform {
  rows = 0;
  constructor() {
    super({ writableObjectMode: true });
  }
  override _transform(row: unknown, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, `${this.rows++ === 0 ? "[\n" : ",\n"}  ${JSON.stringify(row)}`);
  }
  override _flush(cb: TransformCallback): void {
    cb(null, this.rows === 0 ? "[]\n" : "\n]\n");
  }
}

function stripExt(name: string, ext: string): string {
  return name.toLowerCase().endsWith(ext) && name.length > ext.length ? name.slice(0, -ext.length) : name;
}

function withExt(name: string, ext: string): string {
  return `${name.slice(0, 255 - ext.length)}${ext}`;
}

export const OPERATIONS: Record<FileOperation, Operation> = {
  "csv-to-json": {
    type: "produce",
    transforms() {
      const json = new JsonArrayWriter();
      const parser = csvParse({ columns: true, bom: true, skip_empty_lines: true, max_record_size: MAX_CSV_RECORD_BYTES });
      return { streams: [parser, json], summary: () => ({ rows: json.rows }) };
    },
    outputName: (n) => withExt(stripExt(n, ".csv"), ".json"),
    contentType: "application/json",
    isInputError: (err) => err instanceof CsvError,
  },
  gzip: {
    type: "produce",
    transforms: () => ({ streams: [createGzip()], summary: () => ({}) }),
    outputName: (n) => withExt(n, ".gz"),
    contentType: "application/gzip",
    isInputError: never,
  },
  gunzip: {
    type: "produce",
    transforms: () => ({ streams: [createGunzip()], summary: () => ({}) }),
    outputName: (n) => stripExt(n, ".gz"),
    contentType: "application/octet-stream",
    isInputError: zlibDataError,
  },
  sha256: {
    type: "measure",
    sink() {
      const hash = createHash("sha256");
      let hex = "";
      const stream = new Writable({
        write(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          cb();
        },
        final(cb) {
          hex = hash.digest("hex");
          cb();
        },
      });
      return { stream, summary: () => ({ sha256: hex }) };
    },
    isInputError: never,
  },
  "line-count": {
    type: "measure",
    sink() {
      let lines = 0;
      let last = -1;
      const stream = new Writable({
        write(chunk: Buffer, _enc, cb) {
          for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
          if (chunk.length) last = chunk[chunk.length - 1]!;
          cb();
        },
      });
      // A last line without a trailing newline still counts.
      return { stream, summary: () => ({ lines: lines + (last !== -1 && last !== 0x0a ? 1 : 0) }) };
    },
    isInputError: never,
  },
};
