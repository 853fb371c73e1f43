/** Tells connection-level trouble with MySQL (the server is away) from a statement that failed. */

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR',
  // Ours (store/mysql.ts): too many callers already wait for a connection.
  'POOL_QUEUE_FULL',
]);

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when the database could not be reached: a retry later may succeed. */
export function isUnavailableError(err: unknown): boolean {
  if ((err as { fatal?: unknown } | null)?.fatal === true) return true;
  const code = errorCode(err);
  return code !== undefined && UNAVAILABLE_CODES.has(code);
}
