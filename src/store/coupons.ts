/** Coupon definitions in MySQL: create, read, and what the gate needs to rebuild. */
import type { RowDataPacket, ResultSetHeader } from 'mysql2/promise';
import type { Pool } from './mysql.js';

export type DiscountType = 'PERCENT' | 'FIXED';

export interface NewCoupon {
  name: string;
  discountType: DiscountType;
  discountValue: number;
  totalQuantity: number;
  minOrderAmount: number | null;
  startsAt: Date | null;
  expiresAt: Date | null;
}

export interface Coupon extends NewCoupon {
  couponId: number;
  issuedQuantity: number;
  createdAt: Date;
}

interface CouponRow extends RowDataPacket {
  id: number;
  name: string;
  discount_type: DiscountType;
  discount_value: string;
  min_order_amount: string | null;
  total_quantity: number;
  issued_quantity: number;
  starts_at: Date | null;
  expires_at: Date | null;
  created_at: Date;
}

function toCoupon(row: CouponRow): Coupon {
  return {
    couponId: Number(row.id),
    name: row.name,
    discountType: row.discount_type,
    discountValue: Number(row.discount_value),
    minOrderAmount: row.min_order_amount === null ? null : Number(row.min_order_amount),
    totalQuantity: row.total_quantity,
    issuedQuantity: row.issued_quantity,
    startsAt: row.starts_at,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  };
}

export async function insertCoupon(pool: Pool, coupon: NewCoupon): Promise<Coupon> {
  const [result] = await pool.execute<ResultSetHeader>(
    `INSERT INTO coupon (name, discount_type, discount_value, min_order_amount, total_quantity, starts_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [coupon.name, coupon.discountType, coupon.discountValue, coupon.minOrderAmount, coupon.totalQuantity, coupon.startsAt, coupon.expiresAt],
  );
  const created = await findCoupon(pool, result.insertId);
  if (created === undefined) throw new Error(`coupon ${result.insertId} vanished after insert`);
  return created;
}

export async function findCoupon(pool: Pool, couponId: number): Promise<Coupon | undefined> {
  const [rows] = await pool.execute<CouponRow[]>('SELECT * FROM coupon WHERE id = ?', [couponId]);
  const row = rows[0];
  return row === undefined ? undefined : toCoupon(row);
}

/**
 * One page of the coupon's holders in MySQL, the truth a lost gate is rebuilt from: [userId,
 * ticket] by user id after `afterUserId` (range scans of the primary keys). A dead-lettered
 * request holds its unit too: a replay will store it.
 */
export async function loadHolderPage(pool: Pool, couponId: number, afterUserId: string, limit: number): Promise<[string, number][]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    {
      sql: `SELECT user_id, MIN(ticket) AS ticket FROM (
              (SELECT user_id, ticket FROM user_coupon WHERE coupon_id = ? AND user_id > ? ORDER BY user_id LIMIT ?)
              UNION ALL
              (SELECT user_id, ticket FROM issue_dead_letter WHERE coupon_id = ? AND user_id > ? ORDER BY user_id LIMIT ?)
            ) AS holders GROUP BY user_id ORDER BY user_id LIMIT ?`,
      rowsAsArray: true,
    },
    [couponId, afterUserId, limit, couponId, afterUserId, limit, limit],
  );
  return (rows as unknown as [string, number][]).map(([userId, ticket]) => [String(userId), Number(ticket)]);
}

/** Holders in MySQL (stored, or dead-lettered awaiting a replay) and the highest ticket among them (0 when none). */
export async function storedCounts(pool: Pool, couponId: number): Promise<{ rows: number; maxTicket: number }> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT COUNT(DISTINCT user_id) AS n, COALESCE(MAX(ticket), 0) AS maxTicket FROM (
       SELECT user_id, ticket FROM user_coupon WHERE coupon_id = ?
       UNION ALL SELECT user_id, ticket FROM issue_dead_letter WHERE coupon_id = ?
     ) AS holders`,
    [couponId, couponId],
  );
  return { rows: Number(rows[0]?.n ?? 0), maxTicket: Number(rows[0]?.maxTicket ?? 0) };
}

/** The highest coupon id there is (0 with none): ids are given out in increasing order. */
export async function highestCouponId(pool: Pool): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT COALESCE(MAX(id), 0) AS id FROM coupon');
  return Number(rows[0]?.['id'] ?? 0);
}
