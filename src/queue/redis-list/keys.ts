/**
 * QUEUE=redis: the keys of the reliable list queue. Items are pushed by the admission script
 * and moved to a processing list by a consumer until stored. One list per deployment, so this
 * mode is for single-node Redis (the comparison with Kafka mode), not Redis Cluster.
 */
export interface RedisQueueKeys {
  pending: string;
  processing: (consumerId: string) => string;
  consumers: string;
  /** Dead letters of this queue: JSON entries, newest at the tail. */
  deadLetters: string;
}

export function redisQueueKeys(topic: string): RedisQueueKeys {
  const pending = `flash-coupon:${topic}:pending`;
  return {
    pending,
    processing: (consumerId) => `flash-coupon:${topic}:processing:${consumerId}`,
    consumers: `flash-coupon:${topic}:consumers`,
    deadLetters: `${pending}:dlq`,
  };
}
