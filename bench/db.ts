/**
 * Phase 2 and the verdict's facts, read from MySQL: how many rows the run's coupons have,
 * whether any user holds one twice, and when the rows first reached the number of 202
 * answers (or, when that was before the load ended, when the last one was stamped).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config/index.js';
import { createPool, type Pool } from '../src/store/mysql.js';

export interface RowWait {
  /** Rows already stored when polling began (at the end of Phase 1). */
  readonly rowsAtStart: number;
  /** performance.now() of the first poll that saw every expected row; undefined on timeout. */
  readonly reachedAt: number | undefined;
  readonly rows: number;
}

export interface RowFacts {
  readonly couponId: number;
  readonly rows: number;
  readonly distinctUsers: number;
  /** coupon.issued_quantity, the writer's own counter; undefined if the coupon row is missing. */
  readonly issuedQuantity: number | undefined;
}

const POLL_MS = 5;
export class BenchDb {
  private constructor(private readonly pool: Pool) {}

  static open(mysqlUrl: string): BenchDb {
    return new BenchDb(createPool(loadConfig({ env: { MYSQL_URL: mysqlUrl } }).mysql, 2));
  }

  /** Opens the pool's connections now, so Phase 2's first poll does not pay for a connect. */
  async connect(): Promise<void> {
    await Promise.all([this.pool.query('SELECT 1'), this.pool.query('SELECT 1')]);
  }

  async countRows(couponIds: readonly number[]): Promise<number> {
    const [rows] = await this.pool.query('SELECT COUNT(*) AS n FROM user_coupon WHERE coupon_id IN (?)', [couponIds]);
    return Number((rows as { n: number }[])[0]?.n ?? 0);
  }

  /** Polls until the coupons have at least `expected` rows together, or `timeoutMs` passes. */
  async waitForRows(couponIds: readonly number[], expected: number, timeoutMs: number): Promise<RowWait> {
    const deadline = performance.now() + timeoutMs;
    const rowsAtStart = await this.countRows(couponIds);
    let rows = rowsAtStart;
    if (rows >= expected) return { rowsAtStart, reachedAt: performance.now(), rows };
    let queryMs = 0;
    while (performance.now() < deadline) {
      // Counting 100,000 rows takes a while: pause at least as long as the last count took,
      // so the polling never takes more than half of a database core from the writers.
      await sleep(Math.max(POLL_MS, queryMs));
      const asked = performance.now();
      rows = await this.countRows(couponIds);
      const answered = performance.now();
      queryMs = answered - asked;
      if (rows >= expected) return { rowsAtStart, reachedAt: answered, rows };
    }
    return { rowsAtStart, reachedAt: undefined, rows };
  }

  /** The writers' own counters summed: cheap to poll (primary-key reads), unlike COUNT(*) over the rows. */
  async issuedTotal(couponIds: readonly number[]): Promise<number> {
    const [rows] = await this.pool.query('SELECT COALESCE(SUM(issued_quantity), 0) AS n FROM coupon WHERE id IN (?)', [couponIds]);
    return Number((rows as { n: number | string }[])[0]?.n ?? 0);
  }

  /**
   * When the coupon's last row was stamped (epoch ms): the writer sets issued_at when its
   * transaction begins, so the commit follows within that transaction's time. Read after
   * Phase 1, so it costs the database nothing while the load runs.
   */
  async lastIssuedAt(couponIds: readonly number[]): Promise<number | undefined> {
    const [rows] = await this.pool.query('SELECT MAX(issued_at) AS last FROM user_coupon WHERE coupon_id IN (?)', [couponIds]);
    const last = (rows as { last: Date | null }[])[0]?.last;
    return last === null || last === undefined ? undefined : last.getTime();
  }

  /** Each coupon's rows, distinct users and issued_quantity, in the order given. */
  async facts(couponIds: readonly number[]): Promise<RowFacts[]> {
    const [counted] = await this.pool.query(
      'SELECT coupon_id AS id, COUNT(*) AS n, COUNT(DISTINCT user_id) AS users FROM user_coupon WHERE coupon_id IN (?) GROUP BY coupon_id',
      [couponIds],
    );
    const [coupons] = await this.pool.query('SELECT id, issued_quantity AS issued FROM coupon WHERE id IN (?)', [couponIds]);
    const counts = new Map((counted as { id: number; n: number; users: number }[]).map((r) => [Number(r.id), r]));
    const issued = new Map((coupons as { id: number; issued: number }[]).map((r) => [Number(r.id), Number(r.issued)]));
    return couponIds.map((couponId) => ({
      couponId,
      rows: Number(counts.get(couponId)?.n ?? 0),
      distinctUsers: Number(counts.get(couponId)?.users ?? 0),
      issuedQuantity: issued.get(couponId),
    }));
  }

  /** Removes the run's rows and its coupons, so repeated runs do not grow the tables. */
  async deleteCoupons(couponIds: readonly number[]): Promise<void> {
    if (couponIds.length === 0) return;
    await this.pool.query('DELETE FROM user_coupon WHERE coupon_id IN (?)', [couponIds]);
    await this.pool.query('DELETE FROM issue_rejection WHERE coupon_id IN (?)', [couponIds]);
    await this.pool.query('DELETE FROM coupon WHERE id IN (?)', [couponIds]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
