/**
 * Redis key names. Every key of one coupon shares the hash tag `{coupon:<id>}`, so a
 * Redis Cluster keeps them on one slot and a Lua script may touch them together.
 */
export function couponKeys(couponId: number): { meta: string; users: string } {
  const tag = `{coupon:${couponId}}`;
  return { meta: `${tag}:meta`, users: `${tag}:users` };
}

/**
 * QUEUE=redis: the reliable list queue. Items are pushed by the admission script and moved
 * to a processing list by a consumer until stored. One list per deployment, so this mode
 * is for single-node Redis (the comparison with Kafka mode), not Redis Cluster.
 */
export function redisQueueKeys(topic: string): { pending: string; processing: (consumerId: string) => string; consumers: string } {
  return {
    pending: `flash-coupon:${topic}:pending`,
    processing: (consumerId) => `flash-coupon:${topic}:processing:${consumerId}`,
    consumers: `flash-coupon:${topic}:consumers`,
  };
}
