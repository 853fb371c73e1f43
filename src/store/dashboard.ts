/** What the live dashboard reads from MySQL, once a second while someone watches. */
import type { RowDataPacket } from 'mysql2/promise';
import type { Pool } from './mysql.js';

export interface DashboardCoupon {
  couponId: number;
  name: string;
  totalQuantity: number;
  issuedQuantity: number;
  startsAt: Date | null;
  expiresAt: Date | null;
}

interface CouponRow extends RowDataPacket {
  id: number;
  name: string;
  total_quantity: number;
  issued_quantity: number;
  starts_at: Date | null;
  expires_at: Date | null;
}

interface RejectionRow extends RowDataPacket {
  coupon_id: number;
  reason: string;
  n: number;
}

const COLUMNS = 'id, name, total_quantity, issued_quantity, starts_at, expires_at';

function toDashboardCoupon(row: CouponRow): DashboardCoupon {
  return {
    couponId: Number(row.id),
    name: row.name,
    totalQuantity: Number(row.total_quantity),
    issuedQuantity: Number(row.issued_quantity),
    startsAt: row.starts_at,
    expiresAt: row.expires_at,
  };
}

/** The `recent` newest coupons plus the pinned ones, newest first. */
export async function loadDashboardCoupons(pool: Pool, pinned: readonly number[], recent: number): Promise<DashboardCoupon[]> {
  // ORDER BY id DESC LIMIT n walks the primary key: cheap however many coupons exist.
  const [rows] = await pool.query<CouponRow[]>(`SELECT ${COLUMNS} FROM coupon ORDER BY id DESC LIMIT ?`, [recent]);
  const missing = pinned.filter((id) => !rows.some((row) => Number(row.id) === id));
  if (missing.length === 0) return rows.map(toDashboardCoupon);
  const [extra] = await pool.query<CouponRow[]>(`SELECT ${COLUMNS} FROM coupon WHERE id IN (?)`, [missing]);
  return [...extra, ...rows].map(toDashboardCoupon).sort((a, b) => b.couponId - a.couponId);
}

/** Admitted requests the database refused (issue_rejection), by coupon and reason. */
export async function countRejections(pool: Pool, couponIds: readonly number[]): Promise<Map<number, Record<string, number>>> {
  const byCoupon = new Map<number, Record<string, number>>();
  if (couponIds.length === 0) return byCoupon;
  const [rows] = await pool.query<RejectionRow[]>(
    'SELECT coupon_id, reason, COUNT(*) AS n FROM issue_rejection WHERE coupon_id IN (?) GROUP BY coupon_id, reason',
    [couponIds],
  );
  for (const row of rows) {
    const id = Number(row.coupon_id);
    byCoupon.set(id, { ...(byCoupon.get(id) ?? {}), [row.reason]: Number(row.n) });
  }
  return byCoupon;
}
