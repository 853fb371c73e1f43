/**
 * After a run: the coupon's Redis keys and the run's Kafka topics and consumer group go,
 * unless --keep-data. Best effort: a failed clean-up is reported, never fatal.
 */
import { Redis } from 'ioredis';
import kafkajs from 'kafkajs';
import { deploymentKeys } from '../src/gate/instances.js';
import { couponKeys } from '../src/gate/keys.js';
import { redisQueueKeys } from '../src/queue/redis-list/keys.js';

const { Kafka, logLevel } = kafkajs;

/** The coupons' gate keys, and with a run topic the Redis-list queue keys of that run. */
export async function deleteRedisKeys(redisUrl: string, couponIds: readonly number[], topic: string | undefined): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  try {
    await redis.connect();
    for (const couponId of couponIds) {
      await redis.del(...Object.values(couponKeys(couponId)));
      if (topic !== undefined) await redis.zrem(deploymentKeys(topic).handoffCoupons, String(couponId));
    }
    if (topic !== undefined) {
      // The run's topic name is unique (bench-<run id>), so this pattern matches only its keys.
      const queueKeys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${redisQueueKeys(topic).pending.replace(/:pending$/, '')}:*`, 'COUNT', 500);
        cursor = next;
        queueKeys.push(...found);
      } while (cursor !== '0');
      if (queueKeys.length > 0) await redis.del(...queueKeys);
    }
  } finally {
    redis.disconnect();
  }
}

export async function deleteKafkaRun(brokers: readonly string[], topic: string, groupId: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'flash-coupon-bench', brokers: [...brokers], logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [topic, `${topic}.dlq`].filter((name) => existing.has(name));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    await admin.deleteGroups([groupId]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
