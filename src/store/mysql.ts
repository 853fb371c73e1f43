/**
 * MySQL/MariaDB connection pools. The database named in MYSQL_URL is created if missing,
 * so a fresh machine needs no setup. A pool's statements time out (MYSQL_QUERY_TIMEOUT_MS)
 * and its queue of callers waiting for a connection is bounded (MYSQL_QUEUE_LIMIT): past
 * either the caller gets an error that store/unavailable.ts calls unavailable (503).
 */
import mysql, { type Pool, type PoolOptions } from 'mysql2/promise';
import type { Config } from '../config/index.js';
import { errorCode } from './unavailable.js';

export type { Pool };

/** The code given to mysql2's codeless "Queue limit reached." error. */
export const POOL_QUEUE_FULL = 'POOL_QUEUE_FULL';

function poolOptions(url: string, poolSize: number, withDatabase: boolean, queueLimit = 0): PoolOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 3306 : Number(parsed.port),
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
    ...(withDatabase ? { database: parsed.pathname.slice(1) } : {}),
    connectionLimit: poolSize,
    waitForConnections: true,
    queueLimit,
    connectTimeout: 5000,
    enableKeepAlive: true,
    // Dates come back as JS Date in UTC; timestamps are stored in UTC.
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: false,
    queryFormat: formatUnlessPlain as PoolOptions['queryFormat'],
  };
}

/**
 * mysql2 runs every statement through its placeholder formatter, values or not: for the batch
 * writer's INSERT of hundreds of rows (built whole, src/store/batch-writer.ts) that is a
 * scan of tens of kilobytes for nothing. A statement without values is sent as it is, which
 * is what the formatter makes of it; one with values is formatted exactly as by default.
 */
const formatValues = mysql.format as (sql: string, values: unknown, stringifyObjects: boolean, timezone: string | undefined) => string;

function formatUnlessPlain(sql: string, values: unknown, timezone?: string): string {
  if (values === undefined || (Array.isArray(values) && values.length === 0)) return sql;
  // mysql2's own call, with its defaults: objects not stringified, the pool's time zone.
  return formatValues(sql, values, false, timezone);
}

export async function ensureDatabase(mysqlConfig: Config['mysql']): Promise<void> {
  const connection = await mysql.createConnection(poolOptions(mysqlConfig.url, 1, false));
  try {
    // The name was checked against [A-Za-z0-9_] by the config module.
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${mysqlConfig.database}\` CHARACTER SET utf8mb4`);
  } finally {
    await connection.end();
  }
}

type Run = (statement: unknown, values?: unknown) => Promise<unknown>;

/** mysql2's own code for a statement past its timeout; store/unavailable.ts calls it unavailable. */
const TIMED_OUT = 'PROTOCOL_SEQUENCE_TIMEOUT';

function tagQueueFull(err: unknown): never {
  if (err instanceof Error && err.message === 'Queue limit reached.') Object.assign(err, { code: POOL_QUEUE_FULL });
  throw err;
}

export interface PoolSession {
  /**
   * Seconds a statement waits for a row lock (session innodb_lock_wait_timeout): writers
   * set a short one so a held lock fails fast and the batch is retried, not stalled 50 s.
   */
  lockWaitTimeoutS?: number;
}

export function createPool(mysqlConfig: Config['mysql'], poolSize = mysqlConfig.poolSize, session: PoolSession = {}): Pool {
  const pool = mysql.createPool(poolOptions(mysqlConfig.url, poolSize, true, mysqlConfig.queueLimit));
  const seconds = session.lockWaitTimeoutS;
  if (seconds !== undefined) {
    // Queued on the new connection before anything else it runs. A failure breaks nothing:
    // the connection then waits the server's default.
    pool.pool.on('connection', (connection) => {
      connection.query(`SET SESSION innodb_lock_wait_timeout = ${Math.trunc(seconds)}`, () => undefined);
    });
  }
  const timeoutMs = mysqlConfig.queryTimeoutMs;
  // mysql2 has no pool-wide statement timeout, and its per-query one neither covers the
  // PREPARE of an execute nor frees the connection: every query and execute gets a deadline
  // here, and a connection whose statement missed it is destroyed, not given to the next caller.
  const run = (method: 'query' | 'execute'): Run => async (statement, values) => {
    const connection = await pool.getConnection().catch(tagQueueFull);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`MySQL statement took longer than ${timeoutMs} ms`), { code: TIMED_OUT })), timeoutMs);
    });
    const call = (connection[method].bind(connection) as Run)(statement, values);
    let healthy = true;
    try {
      return await Promise.race([call, expired]);
    } catch (err) {
      if (errorCode(err) === TIMED_OUT) {
        healthy = false;
        // Fails the statement still pending on it; that failure is already answered.
        call.catch(() => undefined);
        connection.destroy();
      }
      throw err;
    } finally {
      clearTimeout(timer);
      if (healthy) connection.release();
    }
  };
  Object.assign(pool, { query: run('query'), execute: run('execute') });
  return pool;
}
