/**
 * Redis keys of the gate. A coupon's keys share the hash tag `{coupon:<id>}`, so a Redis
 * Cluster keeps them on one slot and one Lua call can touch them all.
 */
export interface CouponKeys {
  meta: string;
  users: string;
  handoff: string;
  /** Holders read from MySQL during a rebuild, swapped in at its end. */
  staging: string;
  /** Front doors with nothing in flight for the coupon, during a rebuild. */
  drained: string;
}

export function couponKeys(couponId: number): CouponKeys {
  const tag = `{coupon:${couponId}}`;
  return { meta: `${tag}:meta`, users: `${tag}:users`, handoff: `${tag}:handoff`, staging: `${tag}:staging`, drained: `${tag}:drained` };
}
