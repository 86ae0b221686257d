/**
 * Is this error a dependency being down or restarting (PostgreSQL, Redis),
 * rather than a bug? Such errors are answered 503 `unavailable` with
 * Retry-After: the same request is expected to work once the dependency is
 * back, and nothing was committed by the statement that failed.
 */

/** Socket-level errors of a connection that could not be made or was cut. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED"]);

/**
 * SQLSTATEs of a server that is shutting down, starting up, overloaded or
 * cut the session: class 08 (connection exception), 53 (insufficient
 * resources: too many connections, out of memory, disk full), 57P01–57P05
 * (admin/crash shutdown, cannot connect now, idle session timeout), 57014
 * (statement_timeout), 55P03 (lock_timeout), 40001/40P01 (serialization
 * failure, deadlock: retry), 58000/58030 (system/IO error).
 */
function isTransientSqlState(code: string): boolean {
  return code.startsWith("08") || code.startsWith("53") || /^57P0[1-5]$/.test(code)
    || ["57014", "55P03", "40001", "40P01", "58000", "58030"].includes(code);
}

/** Messages of pg, pg-pool, TypeORM and ioredis for a connection that is gone or never came. */
const MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error and is not queryable/i,
  /Cannot use a pool after calling end/i,
  /Client was closed and is not queryable/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to/i,
  /Connection is closed/i,
  /Stream isn't writeable/i,
  /Command timed out/i,
  /Reached the max retries per request limit/i,
  /Redis did not answer/i,
  /connection is not yet established/i,
];

interface Codeish {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
  errors?: unknown;
}

export function isDependencyDown(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as Codeish;
  if (typeof e.code === "string" && (NETWORK_CODES.has(e.code) || (/^[0-9A-Z]{5}$/.test(e.code) && isTransientSqlState(e.code)))) return true;
  if (e.name === "CannotExecuteNotConnectedError" || e.name === "ConnectionIsNotSetError" || e.name === "MaxRetriesPerRequestError") return true;
  if (typeof e.message === "string" && MESSAGES.some((re) => re.test(e.message as string))) return true;
  // AggregateError (a connect to several addresses), TypeORM's wrapped driver error, `cause` chains.
  if (Array.isArray(e.errors) && e.errors.some((x) => isDependencyDown(x, depth + 1))) return true;
  return isDependencyDown(e.driverError, depth + 1) || isDependencyDown(e.cause, depth + 1);
}

/**
 * Narrower than isDependencyDown: PostgreSQL itself cannot be reached or is
 * restarting — the connection was refused, reset, cut or timed out, or the
 * server is shutting down or starting up (57P01–57P03), or has no
 * connection slot left (53300). The same statement is expected to succeed
 * once the server is back, and waiting is all there is to do. Not: an SQL
 * error of the statement, a timeout or deadlock of a reachable server, Redis,
 * nor this process's own pool being closed (that never comes back).
 */
export function isDatabaseUnreachable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as Codeish;
  if (typeof e.code === "string" && (NETWORK_CODES.has(e.code) || e.code.startsWith("08") || /^57P0[1-3]$/.test(e.code) || e.code === "53300")) return true;
  if (typeof e.message === "string" && PG_GONE_MESSAGES.some((re) => re.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnreachable(x, depth + 1))) return true;
  return isDatabaseUnreachable(e.driverError, depth + 1) || isDatabaseUnreachable(e.cause, depth + 1);
}

/** pg and pg-pool's words for a server that went away or could not be reached in time. */
const PG_GONE_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error and is not queryable/i,
  /the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)/i,
  /terminating connection due to (administrator command|unexpected postmaster exit|crash of another server process)/i,
];

/** Seconds a client should wait before retrying a request refused for a dependency (Retry-After). */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 2;

/**
 * After a connection died with a commit in flight: ask on a fresh
 * connection, retrying for about a second while the database is down;
 * undefined when it could not be asked.
 */
export async function askAgain<T>(lookup: () => Promise<T>): Promise<T | undefined> {
  for (const pause of [0, 150, 300, 600]) {
    await new Promise((r) => setTimeout(r, pause));
    try {
      return await lookup();
    } catch (err) {
      if (!isDependencyDown(err)) throw err;
    }
  }
  return undefined;
}
