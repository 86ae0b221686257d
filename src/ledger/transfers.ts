/**
 * The ledger's operations. Each takes the caller's EntityManager and runs in
 * the caller's transaction (or alone, autocommitted, when the caller passes
 * the data source's manager). Each is one SQL function call, idempotent by the
 * caller-chosen transfer id: a retry with the same id changes nothing.
 */
import type { EntityManager } from "typeorm";
import type { LotCategory } from "../entities/ledger-lot";
import { InsufficientCredits, LedgerConflict } from "../errors";
import { preparedRows } from "../db/prepared";
import { userAccountId } from "./accounts";
import { type Applied, assertCredits, DEFAULT_CREDIT_TYPE, type GrantType, LOT_PRIORITY, toInt } from "./types";

/** SQLSTATE ledger_settle raises when the settlement id already names another transfer. */
const ID_IN_USE = "HF409";

export class LedgerError extends Error {
  constructor(message: string, readonly status: string) {
    super(message);
    this.name = "LedgerError";
  }
}

export interface GrantInput {
  id: string;
  userId: string;
  amount: number;
  creditType?: string;
  /** User-facing transaction type (default `grant`). */
  type?: GrantType;
  /** System account the credits come from (default `adjustment` for adjustments, else `issuance`). */
  source?: "issuance" | "adjustment" | "consumption";
  category: LotCategory;
  /** Burn order, lower first (default by category, see LOT_PRIORITY). */
  priority?: number;
  expiresAt?: Date | null;
  description?: string | null;
  metadata?: Record<string, unknown> | null;
}

/** Credit a user: a plain transfer from issuance (or adjustment) that creates a lot. */
export async function grant(m: EntityManager, g: GrantInput): Promise<{ status: Applied; lotId: string; accountId: string }> {
  assertCredits("amount", g.amount);
  const type = g.type ?? "grant";
  const accountId = await userAccountId(m, g.userId, g.creditType ?? DEFAULT_CREDIT_TYPE);
  const rows: { status: string; lot_id: string }[] = await m.query(
    `SELECT * FROM ledger_grant($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      g.id, accountId, g.amount, type, g.source ?? (type === "adjustment" ? "adjustment" : "issuance"), g.category,
      g.priority ?? LOT_PRIORITY[g.category], g.expiresAt ?? null, g.description ?? null,
      g.metadata ? JSON.stringify(g.metadata) : null,
    ],
  );
  const r = rows[0]!;
  if (r.status === "conflict") throw new LedgerConflict(g.id);
  if (r.status !== "created" && r.status !== "exists") throw new LedgerError(`grant failed: ${r.status}`, r.status);
  return { status: r.status, lotId: r.lot_id, accountId };
}

export interface HoldInput {
  id: string;
  userId: string;
  amount: number;
  creditType?: string;
  /** When the reaper may void it if nobody resolved it. */
  expiresAt?: Date | null;
  jobId?: string | null;
  description?: string | null;
}

/**
 * Reserve credits (a pending transfer). Admission is one conditional UPDATE
 * in the database; not enough available → InsufficientCredits (402).
 */
export async function hold(m: EntityManager, h: HoldInput): Promise<{ status: Applied; accountId: string }> {
  assertCredits("amount", h.amount);
  const creditType = h.creditType ?? DEFAULT_CREDIT_TYPE;
  const accountId = await userAccountId(m, h.userId, creditType);
  return holdOnAccount(m, { ...h, accountId, creditType });
}

/** `hold` for a known account id (the hot path skips the account lookup). */
export async function holdOnAccount(
  m: EntityManager,
  h: Omit<HoldInput, "userId"> & { accountId: string; creditType: string },
): Promise<{ status: Applied; accountId: string }> {
  const rows = await preparedRows<{ status: string; available: string | null }>(
    m,
    "holdfast_ledger_hold",
    `SELECT * FROM ledger_hold($1, $2, $3, $4, $5, $6)`,
    [h.id, h.accountId, h.amount, h.expiresAt ?? null, h.jobId ?? null, h.description ?? null],
  );
  return { status: admission(rows[0]!, h.id, h.amount, h.creditType), accountId: h.accountId };
}

export interface HoldManyInput {
  userId: string;
  creditType?: string;
  holds: { id: string; amount: number; jobId?: string | null }[];
  expiresAt?: Date | null;
  description?: string | null;
}

/** Several holds admitted all-or-nothing by one check of their total (batches). */
export async function holdMany(m: EntityManager, h: HoldManyInput): Promise<{ status: Applied; accountId: string }> {
  for (const x of h.holds) assertCredits("amount", x.amount);
  const creditType = h.creditType ?? DEFAULT_CREDIT_TYPE;
  const accountId = await userAccountId(m, h.userId, creditType);
  const rows: { status: string; available: string | null }[] = await m.query(
    `SELECT * FROM ledger_hold_many($1::uuid[], $2, $3::bigint[], $4, $5::uuid[], $6)`,
    [h.holds.map((x) => x.id), accountId, h.holds.map((x) => x.amount), h.expiresAt ?? null,
      h.holds.map((x) => x.jobId ?? null), h.description ?? null],
  );
  const total = h.holds.reduce((s, x) => s + x.amount, 0);
  return { status: admission(rows[0]!, h.holds[0]!.id, total, creditType), accountId };
}

export interface HoldEachInput {
  accountId: string;
  creditType: string;
  holds: { id: string; amount: number; jobId?: string | null; expiresAt?: Date | null; description?: string | null }[];
}

/** One hold's outcome in `holdEach`: taken (`created`, or `exists` for a replay) or refused on its own. */
export type HoldEachOutcome =
  | { id: string; status: Applied }
  | { id: string; status: "insufficient"; error: InsufficientCredits }
  | { id: string; status: "conflict"; error: LedgerConflict }
  | { id: string; status: "failed"; error: LedgerError };

/**
 * Many holds on one account in one call, each admitted or refused on its own
 * in the order given — exactly what the same holds sent one by one would get,
 * for one row lock and one account update.
 */
export async function holdEach(m: EntityManager, h: HoldEachInput): Promise<HoldEachOutcome[]> {
  for (const x of h.holds) assertCredits("amount", x.amount);
  const rows = await preparedRows<{ id: string; status: string; available: string | null }>(
    m,
    "holdfast_ledger_hold_each",
    `SELECT * FROM ledger_hold_each($1::uuid[], $2, $3::bigint[], $4::timestamptz[], $5::uuid[], $6::text[])`,
    [h.holds.map((x) => x.id), h.accountId, h.holds.map((x) => x.amount), h.holds.map((x) => x.expiresAt ?? null),
      h.holds.map((x) => x.jobId ?? null), h.holds.map((x) => x.description ?? null)],
  );
  // PostgreSQL returns uuids in lower case, whatever case they were sent in.
  const byId = new Map(rows.map((r) => [r.id, r]));
  return h.holds.map((x) => {
    const o = holdEachOutcome(byId.get(x.id.toLowerCase())!, x.amount, h.creditType);
    if (o.status === "failed") throw o.error;
    return o;
  });
}

/** Read one row of ledger_hold_each (also when it ran inside a larger statement). */
export function holdEachOutcome(r: { id: string; status: string; available: string | null }, amount: number, creditType: string): HoldEachOutcome {
  switch (r.status) {
    case "created":
    case "exists":
      return { id: r.id, status: r.status };
    case "insufficient":
      return { id: r.id, status: "insufficient", error: new InsufficientCredits(amount, toInt(r.available), creditType) };
    case "conflict":
      return { id: r.id, status: "conflict", error: new LedgerConflict(r.id) };
    default:
      // e.g. account_not_found: this hold only; the batch's other holds stand.
      return { id: r.id, status: "failed", error: new LedgerError(`hold failed: ${r.status}`, r.status) };
  }
}

function admission(r: { status: string; available: string | null }, id: string, amount: number, creditType: string): Applied {
  switch (r.status) {
    case "created":
    case "exists":
      return r.status;
    case "insufficient":
      throw new InsufficientCredits(amount, toInt(r.available), creditType);
    case "conflict":
      throw new LedgerConflict(id);
    default:
      throw new LedgerError(`hold failed: ${r.status}`, r.status);
  }
}

export type SettleStatus = "created" | "exists" | "already_posted" | "already_voided" | "already_expired";

export interface SettleResult {
  /** `created`: this call resolved the hold; `exists`: an earlier call with the same id did; `already_*`: another resolution won. */
  status: SettleStatus;
  posted: number;
  released: number;
}

async function settle(
  m: EntityManager,
  id: string,
  pendingId: string,
  amount: number,
  releaseType: "release" | "refund",
  voidState: "voided" | "expired",
  description: string | null,
): Promise<SettleResult> {
  let rows: { status: string; posted: string; released: string }[];
  try {
    rows = await preparedRows(
      m,
      "holdfast_ledger_settle",
      `SELECT * FROM ledger_settle($1, $2, $3, $4, $5, $6)`,
      [id, pendingId, amount, releaseType, voidState, description],
    );
  } catch (err) {
    // ledger_settle raises this (undoing the whole call) when `id` already names another transfer.
    if ((err as { code?: string }).code === ID_IN_USE) throw new LedgerConflict(id);
    throw err;
  }
  const r = rows[0]!;
  if (r.status === "conflict") throw new LedgerConflict(id);
  if (r.status === "not_found") throw new LedgerError(`no pending transfer ${pendingId}`, r.status);
  if (r.status === "exceeds_hold") {
    throw new LedgerError(`cannot post ${amount}: more than pending transfer ${pendingId} holds (${r.released})`, r.status);
  }
  return { status: r.status as SettleStatus, posted: toInt(r.posted), released: toInt(r.released) };
}

export interface PostInput {
  id: string;
  pendingId: string;
  /** Credits to capture, 0 ≤ amount ≤ held; the rest is released. */
  amount: number;
  /** How the released remainder shows in history (default `release`). */
  releaseType?: "release" | "refund";
  description?: string | null;
}

/** Capture up to the held amount and release the rest; exactly one resolution wins per hold. */
export async function post(m: EntityManager, p: PostInput): Promise<SettleResult> {
  assertCredits("amount", p.amount, { allowZero: true });
  return settle(m, p.id, p.pendingId, p.amount, p.releaseType ?? "release", "voided", p.description ?? null);
}

export interface VoidInput {
  id: string;
  pendingId: string;
  /** `refund` when the platform failed, `release` when simply not needed (default `refund`). */
  releaseType?: "release" | "refund";
  description?: string | null;
}

/** Release the whole hold. */
export async function voidHold(m: EntityManager, v: VoidInput): Promise<SettleResult> {
  return settle(m, v.id, v.pendingId, 0, v.releaseType ?? "refund", "voided", v.description ?? null);
}

/** Release a hold that outlived its expiry (the reaper); the same race rules as post/void. */
export async function expirePending(m: EntityManager, v: VoidInput): Promise<SettleResult> {
  return settle(m, v.id, v.pendingId, 0, v.releaseType ?? "refund", "expired", v.description ?? "Hold expired");
}

export interface AdjustInput {
  id: string;
  userId: string;
  /** Positive adds (an `admin` lot), negative removes (never below available). */
  amount: number;
  creditType?: string;
  description: string;
  expiresAt?: Date | null;
  metadata?: Record<string, unknown> | null;
}

/** Admin adjustment: add creates a lot; remove is refused with InsufficientCredits beyond what is available. */
export async function adjust(m: EntityManager, a: AdjustInput): Promise<{ status: Applied; accountId: string }> {
  if (!Number.isSafeInteger(a.amount) || a.amount === 0) throw new RangeError(`adjustment must be a non-zero whole number, got ${a.amount}`);
  if (a.amount > 0) {
    const r = await grant(m, {
      id: a.id, userId: a.userId, amount: a.amount, creditType: a.creditType, type: "adjustment", category: "admin",
      expiresAt: a.expiresAt, description: a.description, metadata: a.metadata,
    });
    return { status: r.status, accountId: r.accountId };
  }
  const creditType = a.creditType ?? DEFAULT_CREDIT_TYPE;
  const accountId = await userAccountId(m, a.userId, creditType);
  const rows: { status: string; available: string | null }[] = await m.query(
    `SELECT * FROM ledger_debit($1, $2, $3, 'adjustment', 'adjustment', $4, $5)`,
    [a.id, accountId, -a.amount, a.description, a.metadata ? JSON.stringify(a.metadata) : null],
  );
  return { status: admission(rows[0]!, a.id, -a.amount, creditType), accountId };
}
