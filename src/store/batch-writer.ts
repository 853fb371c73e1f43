/**
 * Stores admitted issue requests (already decoded by the caller): one transaction per coupon per batch, the coupon row
 * locked (so writers of the same coupon on other partitions or threads queue behind each
 * other), multi-row INSERT IGNORE up to the remaining stock. Idempotent: a replayed
 * message finds its row and inserts nothing, so a batch may be redone after any crash.
 *
 * No threads and no message format here: the Piscina worker (workers/batch-writer.ts) runs
 * src/consumer/writer-task.ts, which decodes a task and calls `writeBatch`.
 */
import { performance } from 'node:perf_hooks';
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Pool } from './mysql.js';
import type { IssueRequest } from '../queue/message.js';
import { errorCode, failureKind, isUnavailableError, type FailureKind } from './unavailable.js';

/** An admitted request and its place in the caller's batch (failures are reported by place). */
export interface IndexedRequest extends IssueRequest {
  index: number;
}

export type RejectionReason = 'SOLD_OUT' | 'COUPON_NOT_FOUND';

export interface WriteOptions {
  /** Rows per INSERT statement. */
  chunkRows: number;
  /** Report the rows stored (for the coupon-issued topic); costs a read after a partial insert. */
  collectIssued: boolean;
}

export interface IssuedRow {
  couponId: number;
  userId: string;
  ticket: number;
  /** Epoch ms. */
  issuedAt: number;
}

export interface BatchCounts {
  inserted: number;
  /** The user already had a row (a replay, or a second admission after a gate failure). */
  duplicates: number;
  /** Recorded in issue_rejection (SOLD_OUT or COUPON_NOT_FOUND). */
  rejected: number;
}

export interface WriteFailure {
  /** Indexes (into the batch) of the messages whose transaction failed and rolled back. */
  indices: number[];
  message: string;
  code: string | undefined;
  /**
   * `unavailable` (the database could not be reached) and `passing` (read-only, a lock
   * wait, a deadlock, a killed query): no message is at fault and waiting helps, so no try
   * is spent; `failed`: the statement failed, a try is spent.
   */
  kind: FailureKind;
}

export interface WriteResult extends BatchCounts {
  failures: WriteFailure[];
  /**
   * With collectIssued: every row stored by this batch, plus replayed rows found already
   * stored with the same ticket (so the issued events are at-least-once across crashes).
   */
  issued: IssuedRow[];
  /**
   * Seconds from BEGIN to COMMIT of each committed transaction (one per coupon), for the
   * caller's metrics: the worker thread's own metric registry is not the one /metrics serves.
   */
  transactionSeconds: number[];
}

type Request = IndexedRequest;

interface GroupOutcome {
  inserted: number;
  duplicates: number;
  rejected: number;
  issued: IssuedRow[];
}

export function emptyCounts(): BatchCounts {
  return { inserted: 0, duplicates: 0, rejected: 0 };
}

export async function writeBatch(pool: Pool, requests: readonly IndexedRequest[], options: WriteOptions): Promise<WriteResult> {
  const result: WriteResult = { ...emptyCounts(), failures: [], issued: [], transactionSeconds: [] };
  const groups = new Map<number, Request[]>();
  for (const request of requests) {
    const group = groups.get(request.couponId);
    if (group === undefined) groups.set(request.couponId, [request]);
    else group.push(request);
  }

  // Different coupons do not contend, so their transactions run side by side (the pool
  // bounds how many at once).
  await Promise.all(
    [...groups].map(async ([couponId, requests]) => {
      try {
        const { outcome, seconds } = await writeCouponGroup(pool, couponId, requests, options);
        result.transactionSeconds.push(seconds);
        result.inserted += outcome.inserted;
        result.duplicates += outcome.duplicates;
        result.rejected += outcome.rejected;
        for (const row of outcome.issued) result.issued.push(row);
      } catch (err) {
        result.failures.push({
          indices: requests.map((request) => request.index),
          message: err instanceof Error ? err.message : String(err),
          code: errorCode(err),
          kind: failureKind(err),
        });
      }
    }),
  );
  return result;
}

function isAscending(requests: readonly Request[]): boolean {
  for (let i = 1; i < requests.length; i++) if ((requests[i] as Request).ticket < (requests[i - 1] as Request).ticket) return false;
  return true;
}

/** First come first served: lowest ticket first, one request per user (the rest are duplicates). */
function orderByTicket(requests: Request[]): { unique: Request[]; repeated: number } {
  // One coupon's requests come off its partition in admission order: sorted already, as a rule.
  const sorted = isAscending(requests) ? requests : [...requests].sort((a, b) => a.ticket - b.ticket);
  const seen = new Set<string>();
  const unique: Request[] = [];
  for (const request of sorted) {
    if (seen.has(request.userId)) continue;
    seen.add(request.userId);
    unique.push(request);
  }
  return { unique, repeated: sorted.length - unique.length };
}

async function writeCouponGroup(pool: Pool, couponId: number, requests: Request[], options: WriteOptions): Promise<{ outcome: GroupOutcome; seconds: number }> {
  // A failure to get a connection is reported by the caller as "unavailable".
  const connection = await pool.getConnection();
  let broken = false;
  try {
    const began = performance.now();
    await connection.beginTransaction();
    const outcome = await writeInTransaction(connection, couponId, requests, options);
    await connection.commit();
    return { outcome, seconds: (performance.now() - began) / 1000 };
  } catch (err) {
    broken = isUnavailableError(err);
    if (!broken) await connection.rollback().catch(() => undefined);
    throw err;
  } finally {
    if (broken) connection.destroy();
    else connection.release();
  }
}

async function writeInTransaction(connection: PoolConnection, couponId: number, requests: Request[], options: WriteOptions): Promise<GroupOutcome> {
  const { unique, repeated } = orderByTicket(requests);
  const outcome: GroupOutcome = { inserted: 0, duplicates: repeated, rejected: 0, issued: [] };
  const [coupons] = await connection.query<RowDataPacket[]>(
    'SELECT total_quantity, issued_quantity FROM coupon WHERE id = ? FOR UPDATE',
    [couponId],
  );
  const coupon = coupons[0];
  if (coupon === undefined) {
    // The gate admits only coupons it knows, so this is a coupon deleted from the database:
    // recorded, so the user's status says why, rather than dead-lettered.
    outcome.rejected = await recordRejections(connection, couponId, unique, 'COUPON_NOT_FOUND', options.chunkRows);
    return outcome;
  }

  let remaining = Number(coupon.total_quantity) - Number(coupon.issued_quantity);
  let next = 0;
  const issuedAt = new Date();
  const issuedAtLiteral = connection.escape(issuedAt.toISOString().slice(0, 23).replace('T', ' '));
  while (next < unique.length && remaining > 0) {
    const chunk = unique.slice(next, next + Math.min(options.chunkRows, remaining));
    next += chunk.length;
    const [inserted] = await connection.query<ResultSetHeader>(insertSql(connection, couponId, chunk, issuedAtLiteral));
    const stored = inserted.affectedRows;
    outcome.inserted += stored;
    outcome.duplicates += chunk.length - stored;
    remaining -= stored;
    if (!options.collectIssued) continue;
    if (stored === chunk.length) {
      for (const request of chunk) outcome.issued.push(issuedRow(couponId, request, issuedAt.getTime()));
    } else {
      const existing = await storedRows(connection, couponId, chunk);
      for (const request of chunk) pushIfSameTicket(outcome.issued, couponId, request, existing);
    }
  }

  // Past the stock (possible only after a gate failure): a user who already holds the
  // coupon is a duplicate (typically a replay), everyone else is refused.
  const leftovers = unique.slice(next);
  if (leftovers.length > 0) {
    const existing = await storedRows(connection, couponId, leftovers);
    const refused = leftovers.filter((request) => !existing.has(request.userId));
    outcome.duplicates += leftovers.length - refused.length;
    outcome.rejected = await recordRejections(connection, couponId, refused, 'SOLD_OUT', options.chunkRows);
    if (options.collectIssued) for (const request of leftovers) pushIfSameTicket(outcome.issued, couponId, request, existing);
  }

  if (outcome.inserted > 0) {
    await connection.query('UPDATE coupon SET issued_quantity = issued_quantity + ? WHERE id = ?', [outcome.inserted, couponId]);
  }
  return outcome;
}

/**
 * The multi-row INSERT, built directly: the generic `VALUES ?` expansion escapes a Date per
 * row, which costs more CPU than the insert itself. Ids and tickets are safe integers
 * (checked by the decoder); user ids are escaped anyway; the timestamp is one literal.
 */
function insertSql(connection: PoolConnection, couponId: number, chunk: Request[], issuedAtLiteral: string): string {
  const rows = chunk.map((request) => `(${couponId},${connection.escape(request.userId)},${request.ticket},${issuedAtLiteral})`);
  return `INSERT IGNORE INTO user_coupon (coupon_id, user_id, ticket, issued_at) VALUES ${rows.join(',')}`;
}

function issuedRow(couponId: number, request: Request, issuedAt: number): IssuedRow {
  return { couponId, userId: request.userId, ticket: request.ticket, issuedAt };
}

/** A stored row with the request's own ticket is this request's row (new or replayed). */
function pushIfSameTicket(into: IssuedRow[], couponId: number, request: Request, existing: Map<string, { ticket: number; issuedAt: number }>): void {
  const row = existing.get(request.userId);
  if (row !== undefined && row.ticket === request.ticket) into.push(issuedRow(couponId, request, row.issuedAt));
}

async function storedRows(connection: PoolConnection, couponId: number, requests: Request[]): Promise<Map<string, { ticket: number; issuedAt: number }>> {
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT user_id, ticket, issued_at FROM user_coupon WHERE coupon_id = ? AND user_id IN (?)',
    [couponId, requests.map((request) => request.userId)],
  );
  return new Map(rows.map((row) => [String(row.user_id), { ticket: Number(row.ticket), issuedAt: (row.issued_at as Date).getTime() }]));
}

/** Returns how many requests were refused (a replayed refusal is refused again, not re-stored). */
async function recordRejections(connection: PoolConnection, couponId: number, requests: Request[], reason: RejectionReason, chunkRows: number): Promise<number> {
  for (let start = 0; start < requests.length; start += chunkRows) {
    const chunk = requests.slice(start, start + chunkRows);
    await connection.query('INSERT IGNORE INTO issue_rejection (coupon_id, user_id, ticket, reason) VALUES ?', [
      chunk.map((request) => [couponId, request.userId, request.ticket, reason]),
    ]);
  }
  return requests.length;
}
