/**
 * The ledger's operations. Each takes the caller's EntityManager and runs in
 * the caller's transaction (or alone, autocommitted, when the caller passes
 * the data source's manager). Each is one SQL function call, idempotent by the
 * caller-chosen transfer id: a retry with the same id changes nothing.
 */
import type { EntityManager } from "typeorm";
import type { LotCategory } from "../entities/ledger-lot";
import { sql } from "../db/sql";
import { LedgerConflict } from "../errors";
import { userAccountId } from "./accounts";
import { admissionOutcome, type HoldOutcome, LedgerError, type SettleResult, type SettleStatus } from "./plans";
import { type Applied, assertCredits, DEFAULT_CREDIT_TYPE, type GrantType, LOT_PRIORITY, toInt } from "./types";

/** SQLSTATE ledger_settle raises when the settlement id already names another transfer. */
const ID_IN_USE = "HF409";

export interface GrantInput {
  id: string;
  userId: string;
  amount: number;
  creditType?: string;
  /** User-facing transaction type (default `grant`). */
  type?: GrantType;
  /** System account the credits come from (default `adjustment` for adjustments, else `issuance`). */
  source?: "issuance" | "adjustment" | "consumption" | "clawback";
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
  const rows = await sql<{ status: string; lot_id: string }>(
    m,
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

/** A hold names the user, or the user's account for the credit type when the caller knows it (saves a lookup). */
export type HoldInput = HoldFields & ({ userId: string; accountId?: undefined } | { accountId: string; userId?: undefined });

interface HoldFields {
  id: string;
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
  const accountId = h.accountId ?? (await userAccountId(m, h.userId!, creditType));
  const rows = await sql<{ status: string; available: string | null }>(
    m,
    `SELECT * FROM ledger_hold($1, $2, $3, $4, $5, $6)`,
    [h.id, accountId, h.amount, h.expiresAt ?? null, h.jobId ?? null, h.description ?? null],
    "holdfast_ledger_hold",
  );
  return { status: taken(admissionOutcome({ id: h.id, ...rows[0]! }, h.amount, creditType)), accountId };
}

export interface HoldManyInput {
  userId: string;
  creditType?: string;
  holds: { id: string; amount: number; jobId?: string | null }[];
  expiresAt?: Date | null;
  description?: string | null;
}

/** Several holds admitted all-or-nothing by one check of their total. */
export async function holdMany(m: EntityManager, h: HoldManyInput): Promise<{ status: Applied; accountId: string }> {
  for (const x of h.holds) assertCredits("amount", x.amount);
  const creditType = h.creditType ?? DEFAULT_CREDIT_TYPE;
  const accountId = await userAccountId(m, h.userId, creditType);
  const rows = await sql<{ status: string; available: string | null }>(
    m,
    `SELECT * FROM ledger_hold_many($1::uuid[], $2, $3::bigint[], $4, $5::uuid[], $6)`,
    [h.holds.map((x) => x.id), accountId, h.holds.map((x) => x.amount), h.expiresAt ?? null,
      h.holds.map((x) => x.jobId ?? null), h.description ?? null],
  );
  const total = h.holds.reduce((s, x) => s + x.amount, 0);
  return { status: taken(admissionOutcome({ id: h.holds[0]!.id, ...rows[0]! }, total, creditType)), accountId };
}

export interface HoldEachInput {
  accountId: string;
  creditType: string;
  holds: { id: string; amount: number; jobId?: string | null; expiresAt?: Date | null; description?: string | null }[];
}

/**
 * Many holds on one account in one call, each admitted or refused on its own
 * in the order given — exactly what the same holds sent one by one would get,
 * for one row lock and one account update. An unknown account raises.
 */
export async function holdEach(m: EntityManager, h: HoldEachInput): Promise<HoldOutcome[]> {
  for (const x of h.holds) assertCredits("amount", x.amount);
  const rows = await sql<{ id: string; status: string; available: string | null }>(
    m,
    `SELECT * FROM ledger_hold_each($1::uuid[], $2, $3::bigint[], $4::timestamptz[], $5::uuid[], $6::text[])`,
    [h.holds.map((x) => x.id), h.accountId, h.holds.map((x) => x.amount), h.holds.map((x) => x.expiresAt ?? null),
      h.holds.map((x) => x.jobId ?? null), h.holds.map((x) => x.description ?? null)],
    "holdfast_ledger_hold_each",
  );
  // PostgreSQL returns uuids in lower case, whatever case they were sent in.
  const byId = new Map(rows.map((r) => [r.id, r]));
  return h.holds.map((x) => {
    const o = admissionOutcome(byId.get(x.id.toLowerCase())!, x.amount, h.creditType);
    if (o.status === "failed") throw o.error;
    return o;
  });
}

export interface HoldEachManyItem {
  id: string;
  accountId: string;
  amount: number;
  expiresAt?: Date | null;
  jobId?: string | null;
  description?: string | null;
}

/**
 * Holds on many accounts in one call, each admitted or refused on its own in
 * the order given (ledger_hold_each_many). Rows come back as the function
 * returns them (id, status, available when refused); bad input raises SQLSTATE 22023.
 */
export async function holdEachMany(m: EntityManager, items: HoldEachManyItem[]): Promise<{ id: string; status: string; available: number | null }[]> {
  const rows = await sql<{ id: string; status: string; available: string | null }>(
    m,
    `SELECT * FROM ledger_hold_each_many($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[], $5::uuid[], $6::text[])`,
    [items.map((x) => x.id), items.map((x) => x.accountId), items.map((x) => x.amount), items.map((x) => x.expiresAt ?? null),
      items.map((x) => x.jobId ?? null), items.map((x) => x.description ?? null)],
  );
  return rows.map((r) => ({ id: r.id, status: r.status, available: r.available === null ? null : toInt(r.available) }));
}

/** The status of a hold that was taken; the refusal's error otherwise. */
function taken(o: HoldOutcome): Applied {
  if ("error" in o) throw o.error;
  return o.status;
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
    rows = await sql(
      m,
      `SELECT * FROM ledger_settle($1, $2, $3, $4, $5, $6)`,
      [id, pendingId, amount, releaseType, voidState, description],
      "holdfast_ledger_settle",
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
  const rows = await sql<{ status: string; available: string | null }>(
    m,
    `SELECT * FROM ledger_debit($1, $2, $3, 'adjustment', 'adjustment', $4, $5)`,
    [a.id, accountId, -a.amount, a.description, a.metadata ? JSON.stringify(a.metadata) : null],
  );
  return { status: taken(admissionOutcome({ id: a.id, ...rows[0]! }, -a.amount, creditType)), accountId };
}

export interface SettleManyItem {
  /** The resolving transfer's id (a retry with the same id changes nothing). */
  id: string;
  pendingId: string;
  /** Credits to post; the rest is released. */
  amount: number;
  releaseType: "release" | "refund";
  voidState: "voided" | "expired";
  description: string | null;
}

/**
 * Many pending transfers, of any accounts, resolved in one call
 * (ledger_settle_many) — each exactly as post / voidHold / expirePending
 * resolves it alone, in the ledger's global lock order. One row per item, as
 * the function returns it: a refusal is a row too (`not_found`,
 * `exceeds_hold`, `conflict`); bad input raises SQLSTATE 22023.
 */
export async function settleMany(m: EntityManager, items: SettleManyItem[]): Promise<SettledRow[]> {
  const rows = await sql<{ pending_id: string; status: string; posted: string; released: string }>(
    m,
    `SELECT * FROM ledger_settle_many($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[])`,
    [items.map((x) => x.id), items.map((x) => x.pendingId), items.map((x) => x.amount), items.map((x) => x.releaseType),
      items.map((x) => x.voidState), items.map((x) => x.description)],
  );
  return rows.map((r) => ({ pendingId: r.pending_id, status: r.status, posted: toInt(r.posted), released: toInt(r.released) }));
}

export interface SettledRow {
  pendingId: string;
  /** A SettleStatus, or the refusal: `not_found`, `exceeds_hold`, `conflict`. */
  status: string;
  posted: number;
  released: number;
}
