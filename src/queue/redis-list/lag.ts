/** QUEUE=redis: the pending list plus what the consumers hold in their processing lists. */
import type { RedisClient } from '../../redis/client.js';
import { lagProbe, type LagProbe, type LagReader } from '../../lag/probe.js';
import type { Logger } from '../../logger.js';
import { redisQueueKeys } from './keys.js';

export function redisLagProbe(redis: RedisClient, topic: string, log: Logger): LagProbe {
  const keys = redisQueueKeys(topic);
  const read: LagReader = async () => {
    const consumers = await redis.zrange(keys.consumers, 0, -1);
    const [pending, ...processing] = await Promise.all([redis.llen(keys.pending), ...consumers.map((id) => redis.llen(keys.processing(id)))]);
    const lists = { pending: pending as number, processing: processing.reduce((sum, n) => sum + n, 0) };
    return { messages: lists.pending + lists.processing, lists };
  };
  return lagProbe({ queue: 'redis', topic }, read, async () => undefined, log);
}
