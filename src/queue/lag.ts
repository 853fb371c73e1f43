/** The consumer lag probe of `config.queue` (src/lag/ turns its readings into gauges). */
import type { RedisClient } from '../redis/client.js';
import type { Config } from '../config/index.js';
import type { LagProbe } from '../lag/probe.js';
import type { Logger } from '../logger.js';
import { kafkaLagProbe } from './kafka/lag.js';
import { redisLagProbe } from './redis-list/lag.js';

/** QUEUE=redis reads the lists on `redis` (the caller's client, closed by the caller). */
export function createLagProbe(config: Config, redis: RedisClient | undefined, log: Logger): LagProbe {
  if (config.queue === 'kafka') return kafkaLagProbe(config.kafka, log);
  if (redis === undefined) throw new Error('QUEUE=redis: the lag probe needs a Redis client');
  return redisLagProbe(redis, config.kafka.topic, log);
}
