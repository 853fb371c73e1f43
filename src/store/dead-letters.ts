/**
 * Where a dead-lettered request stands for its user: one row per (coupon, user) in
 * issue_dead_letter, written when the consumer dead-letters a decodable request and
 * deleted once a replay has settled it (stored, found stored, or refused).
 */
import type { ResultSetHeader } from 'mysql2/promise';
import type { Pool } from './mysql.js';
import type { IssueRequest } from '../queue/message.js';

export interface DeadLetterMark {
  request: IssueRequest;
  reason: string;
  error: string;
}

/** The column's width: longer database errors are cut. */
const ERROR_CHARS = 500;
const CHUNK = 1000;

/** Upserts: a request dead-lettered again keeps one row, with the latest error. */
export async function recordDeadLetters(pool: Pool, marks: readonly DeadLetterMark[]): Promise<void> {
  for (let start = 0; start < marks.length; start += CHUNK) {
    const rows = marks.slice(start, start + CHUNK).map((mark) => [mark.request.couponId, mark.request.userId, mark.request.ticket, mark.reason, mark.error.slice(0, ERROR_CHARS)]);
    await pool.query(
      'INSERT INTO issue_dead_letter (coupon_id, user_id, ticket, reason, error) VALUES ? ON DUPLICATE KEY UPDATE reason = VALUES(reason), error = VALUES(error), dead_lettered_at = CURRENT_TIMESTAMP(3)',
      [rows],
    );
  }
}

/** Returns how many marks were deleted. */
export async function clearDeadLetters(pool: Pool, requests: readonly Pick<IssueRequest, 'couponId' | 'userId'>[]): Promise<number> {
  let deleted = 0;
  for (let start = 0; start < requests.length; start += CHUNK) {
    const pairs = requests.slice(start, start + CHUNK).map((request) => [request.couponId, request.userId]);
    const [result] = await pool.query<ResultSetHeader>('DELETE FROM issue_dead_letter WHERE (coupon_id, user_id) IN (?)', [pairs]);
    deleted += result.affectedRows;
  }
  return deleted;
}
