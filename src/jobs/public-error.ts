/**
 * What a user may read about a failure on the platform's side. `job.error.message`
 * is shown to the job's owner, so a system failure is described in general
 * terms — never an absolute path on a worker, never SQL text, a constraint
 * name or a SQLSTATE. The full error goes to the log (the caller logs it).
 *
 * - Our own SystemError (src/jobs/errors.ts) was written to be read: its
 *   message is kept, with absolute paths replaced; if anything in its cause
 *   chain came from the database, or its text reads like a database message,
 *   the generic database sentence is used instead.
 * - A database error anywhere (pg's DatabaseError, TypeORM's QueryFailedError)
 *   → "A database error interrupted the job."
 * - A Node system error (ENOENT, ECONNRESET …) → its code only.
 * - Anything else → "An internal error interrupted the job."
 */
import { SystemError } from "./run-errors";

const DATABASE = "A database error interrupted the job.";
const INTERNAL = "An internal error interrupted the job.";
/** Longest message kept (characters). */
const MAX_LENGTH = 300;

/** A SQLSTATE: five characters of digits and upper-case letters (23505, 57P01, 08006 …). */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** Text that reads like a database message or a statement. */
const LOOKS_LIKE_SQL = new RegExp(
  [
    String.raw`\b(select|insert|update|delete)\b[\s\S]*\b(from|into|set|where|returning)\b`,
    String.raw`\bviolates\b[\s\S]*\bconstraint\b`,
    String.raw`\bduplicate key value\b`,
    String.raw`\bsyntax error at or near\b`,
    String.raw`\b(relation|column|function|schema|database|role)\s+"[^"]*"`,
    String.raw`\bsqlstate\b`,
    String.raw`\bdeadlock detected\b`,
    String.raw`\bcould not serialize access\b`,
    String.raw`\bterminating connection\b`,
    String.raw`\bcanceling statement\b`,
  ].join("|"),
  "i",
);

/** Absolute paths (POSIX, Windows, file:// URLs), as they appear in Node's and libraries' messages. */
const ABSOLUTE_PATH = /file:\/\/\S+|(?<![\w.:/-])\/(?:[^\s/'"`()<>[\]{},;]+\/)*[^\s/'"`()<>[\]{},;]*|\b[A-Za-z]:\\[^\s'"`]*/g;

function isDatabaseError(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const x = e as { name?: unknown; code?: unknown; severity?: unknown; routine?: unknown; query?: unknown; driverError?: unknown };
  if (x.name === "QueryFailedError" || x.name === "DatabaseError" || x.driverError !== undefined) return true;
  // pg's errors carry severity/routine next to a SQLSTATE code.
  return typeof x.code === "string" && SQLSTATE.test(x.code) && (x.severity !== undefined || x.routine !== undefined || x.query !== undefined);
}

/** The error and its causes, outermost first (bounded, in case of a cycle). */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err, i = 0; e !== undefined && e !== null && i < 10; i++) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** Replace absolute paths in text a user will read. */
export function scrubPaths(text: string): string {
  return text.replace(ABSOLUTE_PATH, (m) => (m === "/" ? m : "[path]"));
}

/** A safe, general message for a system failure, fit for `job.error.message`. */
export function publicSystemMessage(err: unknown): string {
  const errors = chain(err);
  if (errors.some(isDatabaseError)) return DATABASE;
  if (err instanceof SystemError) {
    if (LOOKS_LIKE_SQL.test(err.message)) return DATABASE;
    const text = scrubPaths(err.message).trim();
    return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text || INTERNAL;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && typeof code === "string" && /^E[A-Z0-9_]+$/.test(code)) {
    return `A storage or network error (${code}) interrupted the job.`;
  }
  return INTERNAL;
}
