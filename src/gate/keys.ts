/**
 * Redis keys of the gate. A coupon's keys share the hash tag `{coupon:<id>}`, so a Redis
 * Cluster keeps them on one slot and one Lua call can touch them all.
 */
export function couponKeys(couponId: number): { meta: string; users: string; handoff: string } {
  const tag = `{coupon:${couponId}}`;
  return { meta: `${tag}:meta`, users: `${tag}:users`, handoff: `${tag}:handoff` };
}
