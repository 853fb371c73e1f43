/**
 * A live flash sale for fault tests: real service processes, paced load from distinct
 * users while a fault is injected, and the same final check for every scenario:
 * rows = admitted, no duplicate, no oversell, every 202 stored, every refusal left no trace.
 */
import type { RowDataPacket } from 'mysql2/promise';
import type { Test } from 'tap';
import type { Config } from '../../src/config/index.js';
import { createPool, type Pool } from '../../src/store/mysql.js';
import { createCoupon, request, type TestService } from '../helpers/service.js';

export { freePort } from '../../bench/service.js';

export type Outcome = number | 'error';

export interface SaleOptions {
  users: number;
  stock: number;
  /** Requests per second the crowd sends, spread over `concurrency` connections. */
  rate: number;
  concurrency?: number;
  prefix: string;
  /** More front doors of the same service: the crowd's connections are spread over all. */
  alsoVia?: string[];
}

export interface Sale {
  couponId: number;
  outcomes: Map<string, Outcome>;
  /** Resolves when every user has had an answer (or a transport error). */
  done: Promise<void>;
  /** How many requests were sent so far. */
  sent(): number;
}

/** Starts a paced crowd: each user asks once; transport errors are recorded, not retried. */
export async function startSale(svc: TestService, options: SaleOptions): Promise<Sale> {
  const couponId = await createCoupon(svc, { totalQuantity: options.stock });
  const outcomes = new Map<string, Outcome>();
  const concurrency = options.concurrency ?? 32;
  const intervalMs = (1000 * concurrency) / options.rate;
  const targets = [svc.url, ...(options.alsoVia ?? [])];
  let next = 0;
  const worker = async (_unused: unknown, index: number): Promise<void> => {
    const url = targets[index % targets.length];
    while (next < options.users) {
      const userId = `${options.prefix}-${next++}`;
      const started = Date.now();
      try {
        const response = await fetch(`${url}/api/coupons/${couponId}/issue`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId }),
          signal: AbortSignal.timeout(15000),
        });
        await response.arrayBuffer();
        outcomes.set(userId, response.status);
      } catch {
        outcomes.set(userId, 'error');
      }
      const wait = intervalMs - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, worker)).then(() => undefined);
  return { couponId, outcomes, done, sent: () => next };
}

export async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    value = await read();
  }
  return value;
}

export async function waitUntilServing(url: string, timeoutMs = 60000): Promise<void> {
  await waitFor(
    () => request(`${url}/readyz`).then((r) => r.status, () => 0),
    (status) => status === 200,
    timeoutMs,
  );
}

interface Stored {
  users: Map<string, number>;
  rejected: Set<string>;
  issuedQuantity: number;
}

async function readStored(pool: Pool, couponId: number): Promise<Stored> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT user_id, COUNT(*) AS n FROM user_coupon WHERE coupon_id = ? GROUP BY user_id', [couponId]);
  const [rejected] = await pool.query<RowDataPacket[]>('SELECT user_id FROM issue_rejection WHERE coupon_id = ?', [couponId]);
  const [[coupon]] = await pool.query<RowDataPacket[]>('SELECT issued_quantity FROM coupon WHERE id = ?', [couponId]);
  return {
    users: new Map(rows.map((row) => [String(row.user_id), Number(row.n)])),
    rejected: new Set(rejected.map((row) => String(row.user_id))),
    issuedQuantity: Number(coupon?.issued_quantity),
  };
}

export interface VerifyOptions {
  timeoutMs?: number;
}

export interface SaleSummary {
  accepted: number;
  stored: number;
  refused: number;
  unavailable: number;
  transportErrors: number;
  rejected: number;
}

/** The one final check of every fault scenario; returns the figures for the report. */
export async function verifySale(t: Test, config: Config, sale: Sale, stock: number, options: VerifyOptions = {}): Promise<SaleSummary> {
  const pool = createPool(config.mysql, 2);
  try {
    const accepted = [...sale.outcomes].filter(([, outcome]) => outcome === 202).map(([user]) => user);
    const unknown = new Set([...sale.outcomes].filter(([, outcome]) => outcome === 'error').map(([user]) => user));
    const settled = (s: Stored): boolean => accepted.every((user) => s.users.has(user) || s.rejected.has(user));
    const stored = await waitFor(() => readStored(pool, sale.couponId), settled, options.timeoutMs ?? 120000);
    const duplicates = [...stored.users.values()].filter((n) => n > 1).length;
    t.equal(duplicates, 0, 'no duplicate');
    t.ok(stored.users.size <= stock, `no oversell (${stored.users.size} rows for a stock of ${stock})`);
    t.equal(stored.issuedQuantity, stored.users.size, 'issued_quantity = rows');
    const acceptedSet = new Set(accepted);
    const missing = accepted.filter((user) => !stored.users.has(user));
    t.same(missing, [], 'every 202 is stored ISSUED (never REJECTED, never missing)');
    t.equal(stored.rejected.size, 0, 'no admitted request refused by the database');
    const strays = [...stored.users.keys()].filter((user) => !acceptedSet.has(user) && !unknown.has(user));
    t.same(strays, [], 'no row for a user who was refused (rows = admitted, plus answers lost with a killed process)');
    const refused = [...sale.outcomes].filter(([, outcome]) => typeof outcome === 'number' && outcome !== 202);
    return {
      accepted: accepted.length,
      stored: stored.users.size,
      refused: refused.length,
      unavailable: refused.filter(([, outcome]) => outcome === 503).length,
      transportErrors: unknown.size,
      rejected: stored.rejected.size,
    };
  } finally {
    await pool.end();
  }
}

/** A 503 must leave no trace: the user is unknown to the gate and may retry. */
export async function verifyUnavailableLeftNoTrace(t: Test, svc: TestService, sale: Sale): Promise<void> {
  const refusedUsers = [...sale.outcomes].filter(([, outcome]) => outcome === 503).map(([user]) => user);
  for (const user of refusedUsers) {
    const status = await request(`${svc.url}/api/coupons/${sale.couponId}/issue/${user}`);
    if (status.status !== 404) {
      t.fail(`${user} got 503 but has status ${status.status} ${JSON.stringify(status.body)}`);
      return;
    }
  }
  t.pass(`${refusedUsers.length} users answered 503 left no trace`);
}
