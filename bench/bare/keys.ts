/** The bare loop's Redis keys for a coupon (KEYS of bench/bare/admit-2.lua), apart from the service's own. */
export function bareKeys(couponId: string): [meta: string, users: string] {
  return [`bare:{${couponId}}:meta`, `bare:{${couponId}}:users`];
}
