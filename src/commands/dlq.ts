/**
 * `flash-coupon dlq replay [--coupon N] [--<setting> value ...]`: stores the dead letters of
 * QUEUE (Kafka: the dead-letter topic; redis: the DLQ list) once their cause is fixed, and
 * prints what it found as one JSON line on stdout (logs go to stderr). Exit 0 when every
 * letter it looked at is settled, 1 when some still fail (they stay dead-lettered) or it
 * was interrupted, 2 for a usage slip. Settings are the service's (same env and flags).
 */
import { loadConfig, type Config } from '../config/index.js';
import { takeFlags, UsageError } from '../config/args.js';
import { replayDeadLetters, type DeadLetterSource, type ReplayReport } from '../consumer/replay.js';
import { parseCouponId } from '../http/validate.js';
import { createLogger, type Logger } from '../logger.js';
import { prepareDatabase } from '../store/migrations.js';
import { createPool } from '../store/mysql.js';

async function openSource(config: Config, log: Logger, couponId: number | undefined): Promise<DeadLetterSource> {
  if (config.queue === 'kafka') {
    const { openKafkaDeadLetters } = await import('../queue/kafka/dead-letters.js');
    return openKafkaDeadLetters(config, log, couponId);
  }
  const [{ createRedis }, { redisDeadLetters }, { connectIssuedPublisher }] = await Promise.all([
    import('../redis/client.js'),
    import('../queue/redis-list/dead-letters.js'),
    import('../queue/kafka/issued.js'),
  ]);
  const redis = createRedis(config.redis, log, 'dlq-replay');
  await redis.connect();
  const publisher = await connectIssuedPublisher(config.kafka, log).catch((err: unknown) => {
    redis.disconnect();
    throw err;
  });
  return redisDeadLetters(redis, config.kafka.topic, publisher?.issued, async () => {
    await publisher?.disconnect();
    await redis.quit().catch(() => redis.disconnect());
  });
}

export async function dlq(flags: readonly string[]): Promise<void> {
  const [action, ...rest] = flags;
  if (action !== 'replay') throw new UsageError(action === undefined ? 'dlq: say what to do (replay)' : `dlq: unknown action "${action}"`);
  const { values: { coupon }, others: settings } = takeFlags(rest, { coupon: { type: 'string' } });
  // A bad id or setting: one line, exit 1 (by the dispatcher).
  const couponId = coupon === undefined ? undefined : parseCouponId(coupon);
  const config = loadConfig({ env: process.env, argv: settings });
  const log = createLogger(config.log, { command: 'dlq-replay' }, 2);

  const stopping = new AbortController();
  const stop = (): void => stopping.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  await prepareDatabase(config.mysql);
  const pool = createPool(config.mysql, config.mysql.poolSize, { lockWaitTimeoutS: config.writer.lockWaitTimeoutS });
  let report: ReplayReport;
  try {
    const source = await openSource(config, log, couponId);
    try {
      report = await replayDeadLetters(source, pool, {
        couponId,
        chunkRows: config.writer.chunkRows,
        attempts: config.writer.retryAttempts,
        baseMs: config.writer.retryBaseMs,
        signal: stopping.signal,
        log,
      });
    } finally {
      await source.close();
    }
  } finally {
    await pool.end();
  }
  process.stdout.write(`${JSON.stringify({ queue: config.queue, ...(couponId === undefined ? {} : { coupon: couponId }), ...report })}\n`);
  log.flush();
  if (report.failed > 0 || report.interrupted) process.exitCode = 1;
}
