/** A hold of the holds API as the API shows it, read from app_holds and the ledger's pending row. */
import { sql } from "../db/sql";
import type { EntityManager } from "typeorm";
import type { PendingState } from "../entities/ledger-pending";
import { NotFound } from "../errors";
import { UUID_RE } from "../lib/ids";
import { cursorTs, decodeCursor, type Page, toPage } from "../lib/pagination";
import { toInt } from "../ledger";

export const HOLD_STATUSES = ["pending", "captured", "released", "expired"] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

export interface HoldView {
  id: string;
  user_id: string;
  status: HoldStatus;
  credit_type: string;
  credits: {
    /** What the hold reserved when it was placed; once resolved, captured + released = held. */
    held: number;
    captured: number;
    released: number;
  };
  description: string | null;
  metadata: Record<string, unknown> | null;
  expires_at: string;
  created_at: string;
}

export interface HoldRow {
  id: string;
  user_id: string;
  credit_type: string;
  credits: string;
  description: string | null;
  metadata: Record<string, unknown> | null;
  expires_at: Date;
  created_at: Date;
  state: PendingState;
  posted_amount: string;
  cursor_ts: string;
}

const STATUS: Record<PendingState, HoldStatus> = { pending: "pending", posted: "captured", voided: "released", expired: "expired" };
const STATE: Record<HoldStatus, PendingState> = { pending: "pending", captured: "posted", released: "voided", expired: "expired" };

export const SELECT_HOLD = `
  SELECT h.id, h.user_id, h.credit_type, h.credits, h.description, h.metadata, h.expires_at, h.created_at,
         p.state, p.posted_amount, ${cursorTs("h.created_at")} AS cursor_ts
    FROM app_holds h JOIN ledger_pending p ON p.transfer_id = h.id
   WHERE h.kind = 'hold'`;

export function toHoldView(r: HoldRow): HoldView {
  const held = toInt(r.credits);
  const captured = r.state === "posted" ? toInt(r.posted_amount) : 0;
  return {
    id: r.id, user_id: r.user_id, status: STATUS[r.state], credit_type: r.credit_type,
    credits: { held, captured, released: r.state === "pending" ? 0 : held - captured },
    description: r.description, metadata: r.metadata, expires_at: r.expires_at.toISOString(), created_at: r.created_at.toISOString(),
  };
}

/** The user's hold, or null (also for another user's hold or a malformed id). */
export async function findHold(m: EntityManager, userId: string, id: string): Promise<HoldRow | null> {
  if (!UUID_RE.test(id)) return null;
  const rows: HoldRow[] = await sql(m, `${SELECT_HOLD} AND h.id = $1 AND h.user_id = $2`, [id, userId]);
  return rows[0] ?? null;
}

export async function holdView(m: EntityManager, userId: string, id: string): Promise<HoldView> {
  const r = await findHold(m, userId, id);
  if (!r) throw new NotFound("Hold");
  return toHoldView(r);
}

export async function listHolds(m: EntityManager, userId: string, q: { limit: number; cursor?: string; status?: HoldStatus }): Promise<Page<HoldView>> {
  const cursor = decodeCursor(q.cursor);
  const params: unknown[] = [userId, q.limit + 1];
  let where = `AND h.user_id = $1`;
  if (cursor) {
    params.push(cursor.createdAt, cursor.id);
    where += ` AND (h.created_at, h.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  if (q.status) {
    params.push(STATE[q.status]);
    where += ` AND p.state = $${params.length}`;
  }
  const rows: HoldRow[] = await sql(m, `${SELECT_HOLD} ${where} ORDER BY h.created_at DESC, h.id DESC LIMIT $2`, params);
  return toPage(rows, q.limit, (r) => ({ createdAt: r.cursor_ts, id: r.id }), toHoldView);
}
