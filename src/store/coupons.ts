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

export interface StoredHolders {
  /** [userId, ticket] of every stored row, for the gate's user set. */
  holders: [string, number][];
  maxTicket: number;
}

/** Everyone who holds the coupon in MySQL, the truth a lost gate is rebuilt from. */
export async function loadHolders(pool: Pool, couponId: number): Promise<StoredHolders> {
  const [rows] = await pool.query<RowDataPacket[]>({ sql: 'SELECT user_id, ticket FROM user_coupon WHERE coupon_id = ?', rowsAsArray: true }, [couponId]);
  let maxTicket = 0;
  const holders: [string, number][] = [];
  for (const row of rows as unknown as [string, number][]) {
    holders.push([row[0], row[1]]);
    if (row[1] > maxTicket) maxTicket = row[1];
  }
  return { holders, maxTicket };
}

/** The highest coupon id there is (0 with none): ids are given out in increasing order. */
export async function highestCouponId(pool: Pool): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT COALESCE(MAX(id), 0) AS id FROM coupon');
  return Number(rows[0]?.['id'] ?? 0);
}
