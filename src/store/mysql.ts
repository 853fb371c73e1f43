/**
 * MySQL/MariaDB connection pools. The database named in MYSQL_URL is created if missing,
 * so a fresh machine needs no setup.
 */
import mysql, { type Pool, type PoolOptions } from 'mysql2/promise';
import type { Config } from '../config/index.js';

export type { Pool };

function poolOptions(url: string, poolSize: number, withDatabase: boolean): PoolOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 3306 : Number(parsed.port),
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
    ...(withDatabase ? { database: parsed.pathname.slice(1) } : {}),
    connectionLimit: poolSize,
    waitForConnections: true,
    queueLimit: 0,
    connectTimeout: 5000,
    enableKeepAlive: true,
    // Dates come back as JS Date in UTC; timestamps are stored in UTC.
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: false,
  };
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

export interface PoolSession {
  /**
   * Seconds a statement waits for a row lock (session innodb_lock_wait_timeout): writers
   * set a short one so a held lock fails fast and the batch is retried, not stalled 50 s.
   */
  lockWaitTimeoutS?: number;
}

export function createPool(mysqlConfig: Config['mysql'], poolSize = mysqlConfig.poolSize, session: PoolSession = {}): Pool {
  const pool = mysql.createPool(poolOptions(mysqlConfig.url, poolSize, true));
  const seconds = session.lockWaitTimeoutS;
  if (seconds !== undefined) {
    // Queued on the new connection before anything else it runs. A failure breaks nothing:
    // the connection then waits the server's default.
    pool.pool.on('connection', (connection) => {
      connection.query(`SET SESSION innodb_lock_wait_timeout = ${Math.trunc(seconds)}`, () => undefined);
    });
  }
  return pool;
}
