/**
 * The persistence path: takes admitted issue requests off the queue (Kafka or the Redis
 * list, by QUEUE) and stores each as exactly one user_coupon row, through the batch-writer
 * threads.
 */
import type { Config } from '../config/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { createPool, ensureDatabase } from '../store/mysql.js';
import { migrate } from '../store/migrations.js';
import { createWriterPool, type WriterPoolOptions } from './writer-pool.js';
import { startKafkaConsumer, type RunningConsumer } from './kafka-consumer.js';
import { startRedisConsumer } from './redis-consumer.js';

export type { RunningConsumer };
export { dlqMessages } from './metrics.js';

export type ConsumerOptions = WriterPoolOptions;

async function prepareSchema(config: Config): Promise<void> {
  await ensureDatabase(config.mysql);
  const pool = createPool(config.mysql, 1);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}

/**
 * Starts the consumer for `config.queue` (AppError UNAVAILABLE when a dependency cannot be
 * reached). `stop()` finishes the batches in flight (their rows, dead letters and
 * acknowledgements), leaves the group or hands back held items, then stops the writer
 * threads.
 */
export async function startConsumers(config: Config, log: Logger, options: ConsumerOptions = {}): Promise<RunningConsumer> {
  const unavailable = (what: string, err: unknown): AppError =>
    new AppError('UNAVAILABLE', `consumer could not start: ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  await prepareSchema(config).catch((err: unknown) => {
    throw unavailable('MySQL', err);
  });
  const writer = createWriterPool(config, log, options);
  let consumer: RunningConsumer;
  try {
    consumer = config.queue === 'kafka' ? await startKafkaConsumer(config, log, writer) : await startRedisConsumer(config, log, writer);
  } catch (err) {
    await writer.destroy();
    throw unavailable(config.queue === 'kafka' ? 'Kafka' : 'Redis', err);
  }
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= consumer.stop().finally(() => writer.destroy());
      return stopped;
    },
  };
}
