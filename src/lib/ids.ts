import { createHash } from "node:crypto";

/**
 * A deterministic UUID derived from another id and a purpose; the same
 * function as SQL's ledger_derived_id (md5(base || ':' || suffix)::uuid), so
 * a retried settlement always uses the same transfer id.
 */
export function derivedId(base: string, suffix: string): string {
  const h = createHash("md5").update(`${base}:${suffix}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
