/**
 * Read side of the persistence path, for the status API: where one issue request stands
 * in the database, and the coupons a user holds. Point reads on the unique and user keys.
 */
import type { RowDataPacket } from 'mysql2/promise';
import type { Pool } from './mysql.js';
import type { RejectionReason } from './batch-writer.js';

export type { RejectionReason };

export type IssueRecord =
  | { status: 'ISSUED'; issuedAt: Date; ticket: number }
  | { status: 'REJECTED'; reason: RejectionReason; ticket: number }
  /** In the dead-letter queue until a replay stores it; `reason` as in the DLQ (WRITE_FAILED). */
  | { status: 'DEAD_LETTERED'; reason: string; ticket: number; deadLetteredAt: Date };

export interface UserCoupon {
  couponId: number;
  name: string;
  discountType: 'PERCENT' | 'FIXED';
  discountValue: number;
  issuedAt: Date;
  ticket: number;
}

/** Most coupons listed for one user (a user holds at most one per coupon). */
const USER_COUPONS_LIMIT = 1000;

/** Undefined: nothing stored yet (the request may still be pending in the queue). */
export async function findIssue(pool: Pool, couponId: number, userId: string): Promise<IssueRecord | undefined> {
  const [issued] = await pool.execute<RowDataPacket[]>('SELECT ticket, issued_at FROM user_coupon WHERE coupon_id = ? AND user_id = ?', [couponId, userId]);
  const row = issued[0];
  if (row !== undefined) return { status: 'ISSUED', issuedAt: row.issued_at as Date, ticket: Number(row.ticket) };
  const [rejected] = await pool.execute<RowDataPacket[]>('SELECT ticket, reason FROM issue_rejection WHERE coupon_id = ? AND user_id = ?', [couponId, userId]);
  const refusal = rejected[0];
  if (refusal !== undefined) return { status: 'REJECTED', reason: refusal.reason as RejectionReason, ticket: Number(refusal.ticket) };
  const [letters] = await pool.execute<RowDataPacket[]>('SELECT ticket, reason, dead_lettered_at FROM issue_dead_letter WHERE coupon_id = ? AND user_id = ?', [couponId, userId]);
  const letter = letters[0];
  if (letter !== undefined) return { status: 'DEAD_LETTERED', reason: String(letter.reason), ticket: Number(letter.ticket), deadLetteredAt: letter.dead_lettered_at as Date };
  return undefined;
}

/** Newest first. */
export async function listUserCoupons(pool: Pool, userId: string): Promise<UserCoupon[]> {
  const [rows] = await pool.execute<RowDataPacket[]>(
    `SELECT uc.coupon_id, c.name, c.discount_type, c.discount_value, uc.issued_at, uc.ticket
       FROM user_coupon uc JOIN coupon c ON c.id = uc.coupon_id
      WHERE uc.user_id = ?
      ORDER BY uc.issued_at DESC, uc.coupon_id DESC
      LIMIT ${USER_COUPONS_LIMIT}`,
    [userId],
  );
  return rows.map((row) => ({
    couponId: Number(row.coupon_id),
    name: String(row.name),
    discountType: row.discount_type as UserCoupon['discountType'],
    // DECIMAL arrives as a string; discounts fit a double exactly enough (2 decimals).
    discountValue: Number(row.discount_value),
    issuedAt: row.issued_at as Date,
    ticket: Number(row.ticket),
  }));
}

/**
 * Of `userIds`, those with a row for the coupon: issued, refused by the database, or
 * dead-lettered (the request waits in the DLQ for a replay, so its admission is not free).
 */
export async function storedUserIds(pool: Pool, couponId: number, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT user_id FROM user_coupon WHERE coupon_id = ? AND user_id IN (?)
     UNION SELECT user_id FROM issue_rejection WHERE coupon_id = ? AND user_id IN (?)
     UNION SELECT user_id FROM issue_dead_letter WHERE coupon_id = ? AND user_id IN (?)`,
    [couponId, userIds, couponId, userIds, couponId, userIds],
  );
  return new Set(rows.map((row) => String(row.user_id)));
}
