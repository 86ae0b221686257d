/**
 * The Idempotency-Key header, read and checked at the boundary. The service
 * that creates something claims the key in the same transaction as what it
 * creates (see claimIdempotencyKey in src/db/idempotency.ts).
 */
import type { Request } from "express";
import { InvalidRequest } from "../errors";
import { fingerprint, type Idempotency } from "../db/idempotency";

const HEADER = "idempotency-key";

/** The header's value, or undefined without one; 400 unless 1–255 printable ASCII characters. */
export function idempotencyKeyFrom(req: Request): string | undefined {
  return checkKey(req.get(HEADER));
}

function checkKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (key.length < 1 || key.length > 255 || !/^[\x20-\x7e]+$/.test(key)) {
    throw new InvalidRequest("Idempotency-Key must be 1–255 printable ASCII characters (a UUID is a good choice).", {
      issues: [{ path: "Idempotency-Key", message: "must be 1–255 printable ASCII characters" }],
    });
  }
  return key;
}

/** Key plus a fingerprint of the body: the same key with another body is 409 idempotency_conflict. */
export function requestIdempotency(req: Request): Idempotency | undefined {
  const key = idempotencyKeyFrom(req);
  return key === undefined ? undefined : { key, requestHash: fingerprint(req.body) };
}
