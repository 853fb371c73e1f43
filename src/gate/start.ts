/**
 * Composes the gate of one front door: Redis's clock, the front door's presence, the gate and
 * its reconciler. `stop()` stops them in the order a drain wants (the reconciler first).
 * `createGate` and `createReconciler` are also what `flash-coupon reconcile` builds, so the
 * command settles markers exactly as a running front door would.
 */
import type { RedisClient } from '../redis/client.js';
import type { Config } from '../config/index.js';
import { processInstanceId } from '../ids.js';
import type { Logger } from '../logger.js';
import { groupCaughtUp } from '../queue/kafka/lag.js';
import { redisQueueKeys } from '../queue/redis-list/keys.js';
import { findCoupon, loadHolderPage, storedCounts } from '../store/coupons.js';
import { storedUserIds } from '../store/issues.js';
import type { Pool } from '../store/mysql.js';
import { RedisClock } from './clock.js';
import { Gate } from './gate.js';
import { deploymentKeys, FrontDoorPresence } from './instances.js';
import { Reconciler } from './reconciler.js';
import { RestartWatch } from './restart-watch.js';

/** How long a reconciliation waits for the writers group to catch up before trying again later. */
const CATCH_UP_WAIT_MS = 20_000;

export interface RunningGate {
  gate: Gate;
  reconciler: Reconciler;
  stop(): Promise<void>;
}

/** A gate on `redis` for the front door `presence` (its calls named by its id), deadlines on `clock` (started by the caller). */
export async function createGate(
  config: Config,
  redis: RedisClient,
  pool: Pool,
  log: Logger,
  self: { presence: FrontDoorPresence; clock: RedisClock; onAdmitted?: (couponId: number) => void },
): Promise<Gate> {
  const gate = new Gate(
    redis,
    {
      findCoupon: (id) => findCoupon(pool, id),
      holderPage: (id, after, limit) => loadHolderPage(pool, id, after, limit),
      storedCounts: (id) => storedCounts(pool, id),
      queueCaughtUp: queueCaughtUpOf(config, log),
    },
    {
      instanceId: self.presence.instanceId,
      clock: self.clock,
      presence: self.presence,
      rebuildingKey: self.presence.keys.rebuilding,
      ...(self.onAdmitted === undefined ? {} : { onAdmitted: self.onAdmitted }),
      // Half the command timeout: a call still queued in Redis by then admits nobody, and the
      // caller, which gives up at the timeout, can ask what it did without waiting further.
      admitBudgetMs: Math.max(5, Math.floor(config.redis.commandTimeoutMs / 2)),
      queueKey: config.queue === 'redis' ? redisQueueKeys(config.kafka.topic).pending : undefined,
      waitReplicas: config.redis.waitReplicas,
      log: log.child({ module: 'gate' }),
    },
  );
  await gate.load();
  return gate;
}

/** QUEUE=redis keeps its queue in the gate's Redis: nothing of it outlives a loss to wait for. */
function queueCaughtUpOf(config: Config, log: Logger): () => Promise<boolean> {
  return config.queue === 'kafka' ? () => groupCaughtUp(config.kafka, log, CATCH_UP_WAIT_MS) : () => Promise.resolve(true);
}

export function createReconciler(config: Config, gate: Gate, redis: RedisClient, presence: FrontDoorPresence, pool: Pool, log: Logger): Reconciler {
  return new Reconciler(
    gate,
    redis,
    presence,
    config.queue,
    presence.keys.handoffCoupons,
    {
      queueCaughtUp: queueCaughtUpOf(config, log),
      storedUsers: (couponId, userIds) => storedUserIds(pool, couponId, userIds),
      storedCounts: (couponId) => storedCounts(pool, couponId),
    },
    log.child({ module: 'reconciler' }),
  );
}

export async function startGate(config: Config, redis: RedisClient, pool: Pool, log: Logger): Promise<RunningGate> {
  const clock = new RedisClock(redis);
  await clock.start();
  const presence = new FrontDoorPresence(redis, clock, processInstanceId(), deploymentKeys(config.kafka.topic));
  await presence.start();
  const gate = await createGate(config, redis, pool, log, { presence, clock, onAdmitted: (couponId) => presence.admittedTo(couponId) });
  const reconciler = createReconciler(config, gate, redis, presence, pool, log);
  reconciler.start(config.reconcile.intervalMs);
  const restarts = new RestartWatch(
    redis,
    () => {
      for (const couponId of presence.knownCoupons()) gate.rebuildNow(couponId);
    },
    log.child({ module: 'gate' }),
  );
  await restarts.start();
  return {
    gate,
    reconciler,
    async stop() {
      restarts.stop();
      await reconciler.stop();
      gate.stop();
      clock.stop();
      presence.stop();
    },
  };
}
