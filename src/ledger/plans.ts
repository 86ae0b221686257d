/**
 * Ledger SQL that runs inside a caller's statement (pg-boss's `plans.ts`
 * style). The two hottest paths fold ledger work and their own rows into
 * ONE statement, so the user account's row lock — every hold and settlement
 * of that user queues on it — is held only for the server-side work and the
 * commit, never across a network round trip:
 *
 *   admission   the job rows are inserted for the holds the ledger admitted;
 *   endings     the fenced job updates feed the holds' settlements.
 *
 * The caller owns its own tables' SQL; these builders own every word that
 * names a ledger function, and the readers below turn their rows into the
 * ledger's typed outcomes. Each builder reads the rows of a CTE the caller
 * names (`source`), in `ord` order, and yields one row per item.
 */
import { InsufficientCredits, LedgerConflict, SpendLimitReached } from "../errors";
import { toInt } from "./types";
import type { Applied } from "./types";

export class LedgerError extends Error {
  constructor(message: string, readonly status: string) {
    super(message);
    this.name = "LedgerError";
  }
}

/** How holds of one statement are admitted. */
export type Admission =
  /** each on its own, in `ord` order against its own account, exactly as if sent one by one (ledger_hold_each_many) */
  | "each"
  /** all or nothing, by one check of their total on one account (ledger_hold_many) */
  | "all";

/**
 * A CTE body that places one hold per row of `source`, whose columns are
 * `id` (the hold's transfer id), `account_id`, `credits`, `expires_at`,
 * `job_id`, `description` and `ord`. It yields `(id, status, available)` per
 * admitted-or-refused row (read each with `admissionOutcome`); a row of a
 * refused "all" admission reads `insufficient` (or `conflict`, or a spend
 * limit's `spend_limit:<period>:<limit>`) like the rest. Both functions check
 * expired-but-unswept lots and spend limits under the account's row lock.
 * "all" needs every row on one account, and takes the latest expiry and the
 * first description for the whole set.
 */
export function holdsPlan(mode: Admission, source: string): string {
  const col = (c: string) => `(SELECT array_agg(s.${c} ORDER BY s.ord) FROM ${source} s)`;
  if (mode === "each") {
    return `SELECT h.id, h.status, h.available FROM ledger_hold_each_many(
              ${col("id")}, ${col("account_id")}, ${col("credits")}, ${col("expires_at")}, ${col("job_id")}, ${col("description")}) AS h`;
  }
  // ledger_hold_many refuses empty arrays: it is called only when there is a row to hold.
  return `SELECT s.id, h.status, h.available
            FROM ${source} s,
                 (SELECT * FROM ledger_hold_many(
                    ${col("id")}, (SELECT min(s.account_id::text)::uuid FROM ${source} s), ${col("credits")},
                    (SELECT max(s.expires_at) FROM ${source} s), ${col("job_id")}, (SELECT min(s.description) FROM ${source} s))
                   WHERE EXISTS (SELECT 1 FROM ${source})) AS h`;
}

/** One hold's outcome: taken (`created`, or `exists` for a replay) or refused with the error to answer. */
export type HoldOutcome =
  | { id: string; status: Applied }
  | { id: string; status: "insufficient"; error: InsufficientCredits }
  | { id: string; status: "spend_limit"; error: SpendLimitReached }
  | { id: string; status: "conflict"; error: LedgerConflict }
  | { id: string; status: "failed"; error: LedgerError };

/**
 * Read one row of a hold statement. `required` is what the refusal reports as
 * needed: the hold's own credits ("each"), or the total of an "all" admission.
 */
export function admissionOutcome(r: { id: string; status: string; available: string | number | null }, required: number, creditType: string): HoldOutcome {
  // A spend limit's refusal reads `spend_limit:<day|month>:<limit>`, with the period's spent (before this hold) as available.
  const limit = /^spend_limit:(day|month):(\d+)$/.exec(r.status);
  if (limit) {
    return { id: r.id, status: "spend_limit", error: new SpendLimitReached(limit[1] as "day" | "month", toInt(limit[2]), toInt(r.available), required) };
  }
  switch (r.status) {
    case "created":
    case "exists":
      return { id: r.id, status: r.status };
    case "insufficient":
      return { id: r.id, status: "insufficient", error: new InsufficientCredits(required, toInt(r.available), creditType) };
    case "conflict":
      return { id: r.id, status: "conflict", error: new LedgerConflict(r.id) };
    default:
      // e.g. account_not_found: this hold only; the others of its statement stand.
      return { id: r.id, status: "failed", error: new LedgerError(`hold failed: ${r.status}`, r.status) };
  }
}

/** A hold resolution the ledger refuses; it aborts the whole statement it ran in. */
const REFUSALS = ["not_found", "exceeds_hold", "conflict"];

/**
 * A query that settles one pending transfer per row of `source`, whose
 * columns are `settle_id` (the resolving transfer's id), `pending_id`,
 * `charge` (credits to post; the rest is released), `release_type`
 * (`release` | `refund`), `void_state` (`voided` | `expired`), `description`
 * and `ord`. It yields `(pending_id, settle_status, posted, released)` per
 * settled row (read each with `settlementOutcome`).
 *
 * A refusal must undo the caller's own writes of the same statement (a job
 * must not end without its hold resolved), and plain SQL has no RAISE: the
 * `guard` column makes such a row fail to cast, which aborts the statement
 * with SQLSTATE 22P02 and a message naming the refusal
 * ("ledger_settle refused: not_found"). Callers retry item by item to find it.
 */
export function settlementsPlan(source: string): string {
  const col = (c: string) => `(SELECT array_agg(s.${c} ORDER BY s.ord) FROM ${source} s)`;
  return `SELECT r.pending_id, r.status AS settle_status, r.posted, r.released,
                 CASE WHEN r.status IN (${REFUSALS.map((x) => `'${x}'`).join(", ")}) THEN ('ledger_settle refused: ' || r.status)::int END AS guard
            FROM ledger_settle_many(${col("settle_id")}, ${col("pending_id")}, ${col("charge")}, ${col("release_type")},
                                    ${col("void_state")}, ${col("description")}) AS r`;
}

export type SettleStatus = "created" | "exists" | "already_posted" | "already_voided" | "already_expired";

export interface SettleResult {
  /** `created`: this call resolved the hold; `exists`: an earlier call with the same id did; `already_*`: another resolution won. */
  status: SettleStatus;
  posted: number;
  released: number;
}

/** Read one row of a settlement statement. */
export function settlementOutcome(r: { settle_status: string; posted: string | number; released: string | number }): SettleResult {
  return { status: r.settle_status as SettleStatus, posted: toInt(r.posted), released: toInt(r.released) };
}
