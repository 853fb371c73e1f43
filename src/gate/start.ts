/**
 * Composes the gate of one front door: Redis's clock, the front door's presence, the gate and
 * its reconciler. `stop()` stops them in the order a drain wants (the reconciler first).
 */
import type { RedisClient } from '../redis/client.js';
import type { Config } from '../config/index.js';
import { processInstanceId } from '../ids.js';
import type { Logger } from '../logger.js';
import { groupCaughtUp } from '../queue/kafka/lag.js';
import { redisQueueKeys } from '../queue/redis-list/keys.js';
import { findCoupon, loadHolders } from '../store/coupons.js';
import { storedUserIds } from '../store/issues.js';
import type { Pool } from '../store/mysql.js';
import { RedisClock } from './clock.js';
import { Gate } from './gate.js';
import { FrontDoorPresence } from './instances.js';
import { Reconciler } from './reconciler.js';

/** How long a reconciliation waits for the writers group to catch up before trying again later. */
const CATCH_UP_WAIT_MS = 20_000;

export interface RunningGate {
  gate: Gate;
  reconciler: Reconciler;
  stop(): Promise<void>;
}

export async function startGate(config: Config, redis: RedisClient, pool: Pool, log: Logger): Promise<RunningGate> {
  const clock = new RedisClock(redis);
  await clock.start();
  const presence = new FrontDoorPresence(redis, processInstanceId());
  await presence.start();
  const gate = new Gate(
    redis,
    { findCoupon: (id) => findCoupon(pool, id), loadHolders: (id) => loadHolders(pool, id) },
    {
      instanceId: presence.instanceId,
      clock,
      // Half the command timeout: a call still queued in Redis by then admits nobody, and the
      // caller, which gives up at the timeout, can ask what it did without waiting further.
      admitBudgetMs: Math.max(5, Math.floor(config.redis.commandTimeoutMs / 2)),
      queueKey: config.queue === 'redis' ? redisQueueKeys(config.kafka.topic).pending : undefined,
      log: log.child({ module: 'gate' }),
      onAdmitted: (couponId) => presence.admittedTo(couponId),
    },
  );
  await gate.load();
  const reconciler = new Reconciler(
    gate,
    redis,
    config.queue,
    {
      queueCaughtUp: () => groupCaughtUp(config.kafka, log, CATCH_UP_WAIT_MS),
      storedUsers: (couponId, userIds) => storedUserIds(pool, couponId, userIds),
    },
    log.child({ module: 'reconciler' }),
  );
  reconciler.start(config.reconcile.intervalMs);
  return {
    gate,
    reconciler,
    async stop() {
      await reconciler.stop();
      gate.stop();
      clock.stop();
      await presence.stop();
    },
  };
}
