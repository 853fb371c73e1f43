/**
 * The one place that sorts MySQL errors for the writers: a broken connection (destroy it),
 * a passing refusal on a healthy connection (keep it, wait), or a statement that failed
 * (counts as a try). Waiting helps in the first two; no message is at fault in either.
 */

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR',
  // Ours (store/mysql.ts): too many callers already wait for a connection.
  'POOL_QUEUE_FULL',
]);

/**
 * Server errors that pass with time, by number (names differ between MySQL and MariaDB
 * builds of mysql2's table): 1290 read-only during a failover, 1205 lock wait timeout,
 * 1213 deadlock (the transaction was rolled back), 1317 statement killed, 1047 a server
 * not yet or no longer serving (e.g. a Galera node out of its cluster).
 */
const PASSING_ERRNOS = new Set([1290, 1205, 1213, 1317, 1047]);

export type FailureKind =
  /** The connection is broken or the server cannot be reached: destroy it, wait. */
  | 'unavailable'
  /** The server refused for now on a healthy connection: keep it, wait. */
  | 'passing'
  /** The statement failed: a try is spent. */
  | 'failed';

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function errorNumber(err: unknown): number | undefined {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}

export function failureKind(err: unknown): FailureKind {
  if ((err as { fatal?: unknown } | null)?.fatal === true) return 'unavailable';
  const code = errorCode(err);
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return 'unavailable';
  const errno = errorNumber(err);
  if (errno !== undefined && PASSING_ERRNOS.has(errno)) return 'passing';
  return 'failed';
}

/** True when the database could not be reached (the connection is unusable): a retry later may succeed. */
export function isUnavailableError(err: unknown): boolean {
  return failureKind(err) === 'unavailable';
}
