/**
 * Idempotency-Key storage. A service that creates something claims the key in
 * the same transaction as what it creates, so a replay (or a concurrent
 * duplicate) returns the first request's resource and creates nothing more.
 * Keys are kept 24 hours, like Stripe's.
 */
import { createHash } from "node:crypto";
import type { EntityManager } from "typeorm";
import { AppError } from "../errors";
import { sql } from "./sql";

export interface Idempotency {
  key: string;
  /** Fingerprint of the request body; the same key with another body is a 409. */
  requestHash: string;
}

/** A stable hash of a JSON body: key order does not matter. */
export function fingerprint(body: unknown): string {
  return createHash("sha256").update(stableJson(body)).digest("hex");
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v as object).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/**
 * Claim an Idempotency-Key inside the caller's transaction. Returns the id
 * of the resource an earlier request created, or null when this request is
 * the first (then the caller must create `resourceId`). A concurrent twin
 * waits on the primary key until the first commits, then replays.
 */
export async function claimIdempotencyKey(
  m: EntityManager, userId: string, scope: string, idem: Idempotency, resourceId: string,
): Promise<string | null> {
  const inserted = await sql(
    m,
    `INSERT INTO idempotency_keys (user_id, scope, key, request_hash, resource_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING RETURNING resource_id`,
    [userId, scope, idem.key, idem.requestHash, resourceId],
  );
  if (inserted.length > 0) return null;
  const rows = await sql<{ request_hash: string; resource_id: string }>(
    m,
    `SELECT request_hash, resource_id FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3`,
    [userId, scope, idem.key],
  );
  const prior = rows[0]!;
  if (prior.request_hash !== idem.requestHash) {
    throw new AppError("idempotency_conflict", "This Idempotency-Key was already used with a different request body.", {
      idempotency_key: idem.key,
    });
  }
  return prior.resource_id;
}
