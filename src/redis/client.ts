/**
 * The ioredis client of the gate and the Redis-list queue, set to fail fast: while Redis is away calls reject at
 * once (503) instead of queueing behind a reconnect and hanging every request. REDIS_URL
 * `redis+cluster://...` gives a Cluster client instead; both run the same commands and
 * scripts (every multi-key call stays within one coupon's hash tag).
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';

/** A single Redis or a Redis Cluster: what every Redis user in the service takes. */
export type RedisClient = Redis | Cluster;

/** Keep trying to come back, but never faster than every 200 ms nor slower than 1 s. */
const retryStrategy = (times: number): number => Math.min(200 * times, 1000);

function nodeOptions(redis: Config['redis'], name: string): RedisOptions {
  return {
    connectionName: `flash-coupon-${name}`,
    maxRetriesPerRequest: 1,
    commandTimeout: redis.commandTimeoutMs,
    // A command in flight when the connection dropped may have run: resending it could run it
    // twice. The gate settles such calls itself (src/gate/unresolved.ts).
    autoResendUnfulfilledCommands: false,
    connectTimeout: 2000,
  };
}

function createCluster(redis: Config['redis'], target: NonNullable<Config['redis']['cluster']>, name: string): Cluster {
  return new Cluster(
    target.nodes.map((node) => ({ host: node.host, port: node.port })),
    {
      enableAutoPipelining: redis.autoPipelining,
      enableOfflineQueue: false,
      // ioredis would resend a command whose connection closed (to another node, 100 ms later):
      // like autoResendUnfulfilledCommands, that may run an admit call twice. Redirections
      // (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) are answers of a node that ran nothing, and stay.
      retryDelayOnFailover: 0,
      // Learn a promoted replica within a second even when no MOVED tells us.
      slotsRefreshInterval: 1000,
      clusterRetryStrategy: retryStrategy,
      lazyConnect: true,
      redisOptions: {
        ...nodeOptions(redis, name),
        ...(target.username === undefined ? {} : { username: target.username }),
        ...(target.password === undefined ? {} : { password: target.password }),
        ...(target.tls ? { tls: {} } : {}),
      },
    },
  );
}

export function createRedis(redis: Config['redis'], log: Logger, name = 'gate'): RedisClient {
  const client: RedisClient =
    redis.cluster === undefined
      ? new Redis(redis.url, {
          ...nodeOptions(redis, name),
          enableAutoPipelining: redis.autoPipelining,
          enableOfflineQueue: false,
          lazyConnect: true,
          retryStrategy,
        })
      : createCluster(redis, redis.cluster, name);
  let wasReady = false;
  client.on('ready', () => {
    if (wasReady) log.info({ name }, 'redis reconnected');
    wasReady = true;
  });
  client.on('error', (err: Error) => log.warn({ name, err: err.message }, 'redis error'));
  return client;
}

const slotOfKey = new Map<string, number>();

/**
 * The connection of the node that serves `key`: commands that name no key (WAIT) must go
 * there, on the connection that wrote. A single Redis serves every key.
 */
export async function nodeServing(client: RedisClient, key: string): Promise<Redis> {
  if (!(client instanceof Cluster)) return client;
  let slot = slotOfKey.get(key);
  if (slot === undefined) {
    slot = Number(await client.cluster('KEYSLOT', key));
    if (slotOfKey.size > 100_000) slotOfKey.clear();
    slotOfKey.set(key, slot);
  }
  const owner = client.slots[slot]?.[0];
  const node = client.nodes('master').find((candidate) => `${candidate.options.host}:${candidate.options.port}` === owner);
  if (node === undefined) throw new Error(`no connected primary serves slot ${slot}`);
  return node;
}

/** Every primary: one Redis, or each primary of a cluster (a restart or failover of any counts). */
export function primaries(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}
