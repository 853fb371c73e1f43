/**
 * Composes the gate of one front door: Redis's clock, the front door's presence, the gate and
 * its reconciler. `stop()` stops them in the order a drain wants (the reconciler first).
 * `createGate` and `createReconciler` are also what `flash-coupon reconcile` builds, so the
 * command settles markers exactly as a running front door would.
 */
import type { Redis } from 'ioredis';
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
import { FrontDoorPresence, handoffCouponsKey } from './instances.js';
import { Reconciler } from './reconciler.js';

/** How long a reconciliation waits for the writers group to catch up before trying again later. */
const CATCH_UP_WAIT_MS = 20_000;

export interface RunningGate {
  gate: Gate;
  reconciler: Reconciler;
  stop(): Promise<void>;
}

/** A gate on `redis`, its deadlines on `clock` (started by the caller), its calls named by `instanceId`. */
export async function createGate(
  config: Config,
  redis: Redis,
  pool: Pool,
  log: Logger,
  self: { instanceId: string; clock: RedisClock; onAdmitted?: (couponId: number) => void },
): Promise<Gate> {
  const gate = new Gate(
    redis,
    { findCoupon: (id) => findCoupon(pool, id), loadHolders: (id) => loadHolders(pool, id) },
    {
      ...self,
      // Half the command timeout: a call still queued in Redis by then admits nobody, and the
      // caller, which gives up at the timeout, can ask what it did without waiting further.
      admitBudgetMs: Math.max(5, Math.floor(config.redis.commandTimeoutMs / 2)),
      queueKey: config.queue === 'redis' ? redisQueueKeys(config.kafka.topic).pending : undefined,
      log: log.child({ module: 'gate' }),
    },
  );
  await gate.load();
  return gate;
}

export function createReconciler(config: Config, gate: Gate, redis: Redis, pool: Pool, log: Logger): Reconciler {
  return new Reconciler(
    gate,
    redis,
    config.queue,
    handoffCouponsKey(config.kafka.topic),
    {
      queueCaughtUp: () => groupCaughtUp(config.kafka, log, CATCH_UP_WAIT_MS),
      storedUsers: (couponId, userIds) => storedUserIds(pool, couponId, userIds),
    },
    log.child({ module: 'reconciler' }),
  );
}

export async function startGate(config: Config, redis: Redis, pool: Pool, log: Logger): Promise<RunningGate> {
  const clock = new RedisClock(redis);
  await clock.start();
  const presence = new FrontDoorPresence(redis, processInstanceId(), handoffCouponsKey(config.kafka.topic));
  await presence.start();
  const gate = await createGate(config, redis, pool, log, { instanceId: presence.instanceId, clock, onAdmitted: (couponId) => presence.admittedTo(couponId) });
  const reconciler = createReconciler(config, gate, redis, pool, log);
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
