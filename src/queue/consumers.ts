/**
 * The persistence path for `config.queue`: the transport's consumer takes admitted issue
 * requests off the queue (Kafka or the Redis list) and stores each as exactly one
 * user_coupon row through the batch-writer threads (src/consumer/).
 */
import type { Config } from '../config/index.js';
import { createDeadLetterMarks } from '../consumer/marks.js';
import { createWriterPool, type WriterPoolOptions } from '../consumer/writer-pool.js';
import type { RunningConsumer } from '../consumer/running.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { prepareDatabase } from '../store/migrations.js';
import { createPool } from '../store/mysql.js';
import { startKafkaConsumer } from './kafka/consumer.js';
import { startRedisConsumer } from './redis-list/consumer.js';

export type { RunningConsumer };

export type ConsumerOptions = WriterPoolOptions;

/**
 * Starts the consumer for `config.queue` (AppError UNAVAILABLE when a dependency cannot be
 * reached). `stop()` finishes the batches in flight (their rows, dead letters and
 * acknowledgements), leaves the group or hands back held items, then stops the writer
 * threads.
 */
export async function startConsumers(config: Config, log: Logger, options: ConsumerOptions = {}): Promise<RunningConsumer> {
  const unavailable = (what: string, err: unknown): AppError =>
    new AppError('UNAVAILABLE', `consumer could not start: ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  await prepareDatabase(config.mysql).catch((err: unknown) => {
    throw unavailable('MySQL', err);
  });
  const writer = createWriterPool(config, log, options);
  // Dead letters are rare: one connection marks them for the status API.
  const marksPool = createPool(config.mysql, 1);
  const marks = createDeadLetterMarks(marksPool, log.child({ module: 'dead-letter-marks' }));
  const release = async (): Promise<void> => {
    await writer.destroy();
    await marksPool.end().catch(() => undefined);
  };
  let consumer: RunningConsumer;
  try {
    consumer = config.queue === 'kafka' ? await startKafkaConsumer(config, log, writer, marks) : await startRedisConsumer(config, log, writer, marks);
  } catch (err) {
    await release();
    throw unavailable(config.queue === 'kafka' ? 'Kafka' : 'Redis', err);
  }
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= consumer.stop().finally(release);
      return stopped;
    },
  };
}
