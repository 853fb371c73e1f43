/**
 * `flash-coupon reconcile --coupon N [--<setting> value ...]`: one reconciliation of one
 * coupon by hand, the same as a front door's reconciler runs every RECONCILE_INTERVAL_MS:
 * markers of gone front doors are settled (once the writers caught up, QUEUE=kafka), the
 * admissions with neither a row nor a message released. Prints every marker seen as JSON,
 * then a one-line summary.
 */
import { loadConfig } from '../config/index.js';
import { takeFlags, UsageError } from '../config/args.js';
import { AppError } from '../errors.js';
import { RedisClock } from '../gate/clock.js';
import type { CallReport } from '../gate/reconciler.js';
import { deploymentKeys, FrontDoorPresence } from '../gate/instances.js';
import { createGate, createReconciler } from '../gate/start.js';
import { isCouponId, processInstanceId } from '../ids.js';
import { createLogger } from '../logger.js';
import { createRedis } from '../redis/client.js';
import { createPool } from '../store/mysql.js';

export function summarize(couponId: number, reports: readonly CallReport[]): string {
  const count = (action: CallReport['action']): number => reports.filter((r) => r.action === action).length;
  const released = reports.reduce((sum, r) => sum + r.released, 0);
  const kept = reports.reduce((sum, r) => sum + r.kept, 0);
  return (
    `coupon ${couponId}: ${reports.length} hand-off markers, ${count('settled')} settled (${released} admissions released, ${kept} kept), ` +
    `${count('left (front door alive)')} of live front doors, ${count('left (queue not caught up)')} left (queue not caught up), ${count('too early')} too early`
  );
}

export async function reconcile(flags: readonly string[]): Promise<void> {
  const { values: { coupon }, others: rest } = takeFlags(flags, { coupon: { type: 'string' } });
  if (coupon === undefined) throw new UsageError('--coupon is required');
  const couponId = Number(coupon);
  if (!/^\d+$/.test(coupon) || !isCouponId(couponId)) throw new AppError('CONFIG_INVALID', `--coupon must be a positive integer (got ${JSON.stringify(coupon)})`);
  const config = loadConfig({ env: process.env, argv: rest });
  // Logs to stderr: stdout carries the report only.
  const log = createLogger(config.log, { command: 'reconcile' }, 2);
  const redis = createRedis(config.redis, log, 'reconcile');
  const pool = createPool(config.mysql, 2);
  try {
    await redis.connect();
    const clock = new RedisClock(redis);
    await clock.start();
    try {
      // A process of its own: no marker is ever this command's, so only gone front doors' are settled.
      // Not started: it never beats, it only reads who else does.
      const presence = new FrontDoorPresence(redis, clock, processInstanceId(), deploymentKeys(config.kafka.topic));
      const gate = await createGate(config, redis, pool, log, { presence, clock });
      const reports = await createReconciler(config, gate, redis, presence, pool, log).reconcileCoupon(couponId);
      gate.stop();
      process.stdout.write(`${JSON.stringify(reports, null, 2)}\n${summarize(couponId, reports)}\n`);
    } finally {
      clock.stop();
    }
  } finally {
    await Promise.allSettled([redis.quit(), pool.end()]);
  }
}
