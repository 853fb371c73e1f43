/** Coupon creation (admin) and the coupon with its live counts. */
import { AppError } from '../../errors.js';
import type { Gate } from '../../gate/gate.js';
import { findCoupon, insertCoupon, type Coupon } from '../../store/coupons.js';
import type { Pool } from '../../store/mysql.js';
import type { CouponCeiling } from '../coupon-ceiling.js';
import { parseJsonObject } from '../request.js';
import { json } from '../respond.js';
import type { Route } from '../router.js';
import { parseCouponId, parseNewCoupon } from '../validate.js';

export function couponView(coupon: Coupon): Record<string, unknown> {
  return {
    couponId: coupon.couponId,
    name: coupon.name,
    discountType: coupon.discountType,
    discountValue: coupon.discountValue,
    minOrderAmount: coupon.minOrderAmount,
    totalQuantity: coupon.totalQuantity,
    startsAt: coupon.startsAt?.toISOString() ?? null,
    expiresAt: coupon.expiresAt?.toISOString() ?? null,
    createdAt: coupon.createdAt.toISOString(),
  };
}

export function couponRoutes(deps: { pool: Pool; gate: Gate; ceiling: CouponCeiling; checkAdmin: (authorization: string) => void }): Route[] {
  const { pool, gate, ceiling, checkAdmin } = deps;
  return [
    {
      method: 'post',
      pattern: '/api/coupons',
      handler: async (ctx) => {
        checkAdmin(ctx.authorization);
        const coupon = await insertCoupon(pool, parseNewCoupon(parseJsonObject(await ctx.body())));
        await gate.open(coupon);
        ceiling.raise(coupon.couponId);
        return json(201, couponView(coupon), { Location: `/api/coupons/${coupon.couponId}` });
      },
    },
    {
      method: 'get',
      pattern: '/api/coupons/:couponId',
      handler: async (ctx) => {
        const couponId = parseCouponId(ctx.params[0] as string);
        await ceiling.check(couponId);
        const coupon = await findCoupon(pool, couponId);
        if (coupon === undefined) throw new AppError('COUPON_NOT_FOUND', 'no such coupon');
        // The gate's count is the live one; after a Redis loss it is rebuilt from MySQL.
        let counts = await gate.counts(couponId);
        if (counts === undefined && (await gate.rebuild(couponId))) counts = await gate.counts(couponId);
        const admitted = counts?.admitted ?? coupon.issuedQuantity;
        return json(200, {
          ...couponView(coupon),
          admitted,
          issued: coupon.issuedQuantity,
          remaining: Math.max(0, coupon.totalQuantity - admitted),
          answers: counts?.answers ?? null,
        });
      },
    },
  ];
}
