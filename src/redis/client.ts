/**
 * The ioredis client of the gate and the Redis-list queue, set to fail fast: while Redis is away calls reject at
 * once (503) instead of queueing behind a reconnect and hanging every request.
 */
import { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';

export function createRedis(redis: Config['redis'], log: Logger, name = 'gate'): Redis {
  const client = new Redis(redis.url, {
    connectionName: `flash-coupon-${name}`,
    enableAutoPipelining: redis.autoPipelining,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: redis.commandTimeoutMs,
    // A command in flight when the connection dropped may have run: resending it could run it
    // twice. The gate settles such calls itself (src/gate/unresolved.ts).
    autoResendUnfulfilledCommands: false,
    connectTimeout: 2000,
    lazyConnect: true,
    // Keep trying to come back, but never faster than every 200 ms nor slower than 1 s.
    retryStrategy: (times) => Math.min(200 * times, 1000),
  });
  let wasReady = false;
  client.on('ready', () => {
    if (wasReady) log.info({ name }, 'redis reconnected');
    wasReady = true;
  });
  client.on('error', (err: Error) => log.warn({ name, err: err.message }, 'redis error'));
  return client;
}
